#!/bin/bash
# Builds the VM's debug kernel (KASAN, lockdep, kmemleak, UBSAN, ...) from
# Debian's linux-source-6.12, configured as defconfig + kvm_guest.config +
# vm/debug-kernel.config, once per machine: the result is cached under
# LUNATIK_CACHE (default /var/cache/lunatik), keyed by the source package's
# version and a hash of the fragment and of this script. A warm cache
# compiles nothing. docs/vm.md describes it.
#
# The cache directory holds what the VM boots (vmlinux, bzImage), the
# release string (release), and build/, the kernel tree pruned to what an
# external module build needs (.config, Module.symvers, include/,
# arch/x86/include, scripts/, tools/objtool/objtool, the Makefiles).
#
# usage: scripts/debug-kernel.sh          build if needed; print the directory
#        scripts/debug-kernel.sh --path   print the directory, build nothing
set -euo pipefail

prog=debug-kernel
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
fragment=$repo/vm/debug-kernel.config
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${LUNATIK_KERNEL_JOBS:-2}

die() {
	echo "$prog: $*" >&2
	exit 1
}

version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	die "linux-source-6.12 is not installed (make deps)"
[ -f "$tarball" ] || die "$tarball is missing (make deps)"
hash=$(cat "$fragment" "$0" | sha256sum | cut -c1-12)
cache=${LUNATIK_CACHE:-/var/cache/lunatik}/debug-kernel-$version-$hash

if [ "${1:-}" = --path ]; then
	echo "$cache"
	exit 0
fi
[ $# -eq 0 ] || die "usage: scripts/debug-kernel.sh [--path]"

# One build at a time on a machine: a second caller waits for the first.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9

if [ -f "$cache/done" ]; then
	echo "$prog: cached: $(cat "$cache/release") in $cache" >&2
	echo "$cache"
	exit 0
fi

echo "$prog: no cached build in $cache: building (about 25 minutes on 2 cores)" >&2
rm -rf "$cache"
mkdir -p "$cache"
start=$(date +%s)
tar -C "$cache" -xf "$tarball"
mv "$cache/linux-source-6.12" "$cache/build"
tree=$cache/build
kmake() {
	nice -n 10 make -C "$tree" -s "$@"
}
kmake defconfig >/dev/null
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config \
	kernel/configs/kvm_guest.config "$fragment" >/dev/null)
kmake olddefconfig >/dev/null

# Every line of the fragment must have survived olddefconfig: an option
# whose dependencies are missing is dropped silently otherwise.
bad=0
while IFS= read -r line; do
	if [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if grep -q "^${BASH_REMATCH[1]}=" "$tree/.config"; then
			echo "$prog: $line, but .config has $(grep "^${BASH_REMATCH[1]}=" "$tree/.config")" >&2
			bad=1
		fi
	elif [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]]; then
		if ! grep -qxF "$line" "$tree/.config"; then
			echo "$prog: $line did not stick: $(grep "^${BASH_REMATCH[1]}=" "$tree/.config" || echo unset)" >&2
			bad=1
		fi
	fi
done <"$fragment"
[ "$bad" = 0 ] || die "vm/debug-kernel.config does not apply to $version"

# modules: Module.symvers, which external modules link against.
kmake -j"$jobs" bzImage modules
kmake kernelrelease >"$cache/release"
cp "$tree/vmlinux" "$cache/vmlinux"
cp "$tree/arch/x86/boot/bzImage" "$cache/bzImage"
cp "$tree/System.map" "$cache/System.map"

# Prune to what `make -C build M=DIR modules` reads.
(
	cd "$tree"
	rm -rf Documentation LICENSES block certs crypto drivers fs init io_uring \
		ipc kernel lib mm net rust samples security sound usr virt \
		vmlinux vmlinux.a vmlinux.o .tmp_vmlinux* modules.builtin*
	find arch -mindepth 1 -maxdepth 1 ! -name x86 -exec rm -rf {} +
	find tools -mindepth 1 -maxdepth 1 ! -name objtool -exec rm -rf {} +
	find tools/objtool -mindepth 1 -maxdepth 1 ! -name objtool -exec rm -rf {} +
	find . \( -name '*.o' -o -name '*.a' -o -name '*.ko' -o -name '.*.cmd' \
		-o -name '*.mod' -o -name '*.mod.c' \) -type f -delete
)
elapsed=$(($(date +%s) - start))
echo "$elapsed" >"$cache/build-seconds"
touch "$cache/done"
# Finished builds of older sources or fragments are of no more use.
for old in "$(dirname "$cache")"/debug-kernel-*/done; do
	old=${old%/done}
	[ ! -d "$old" ] || [ "$old" = "$cache" ] || rm -rf "$old" "$old.lock"
done
echo "$prog: built $(cat "$cache/release") in $((elapsed / 60)) min $((elapsed % 60)) s: $cache" >&2
echo "$cache"
