#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: builds the user-space Lua interpreters the benchmarks compare
# against, boots the VM once with the module and runs bench/lunatik-bench
# there, which prints one table (docs/benchmarks.md explains it). A copy of
# the output lands in BUILD/bench/results.txt.
#
# usage: bench/run.sh BUILD_DIR [--time-scale X]
#   --time-scale X  multiplies every measuring period (0.2 for a quick look)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: bench/run.sh BUILD_DIR [--time-scale X]" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
scale=1
if [ $# -gt 0 ]; then
	[ "$1" = --time-scale ] && [ $# -eq 2 ] ||
		{ echo "bench: unknown arguments: $*" >&2; exit 2; }
	scale=$2
fi

bench=$build/user/bench/lunatik-bench
[ -x "$bench" ] || { echo "bench: $bench is missing: run 'make user'" >&2; exit 1; }
[ -f "$build/lua-src/src/lvm.c" ] ||
	{ echo "bench: no Lua sources in $build/lua-src: run 'make deps'" >&2; exit 1; }

# The kernel's code generation for the module, as Kbuild passes it to gcc
# for Debian's 6.1 kernel (arch/x86/Makefile and the top Makefile with
# CONFIG_RETPOLINE, CONFIG_RETHUNK, CONFIG_SLS, CONFIG_STACKPROTECTOR_STRONG
# and CONFIG_INIT_STACK_ALL_ZERO), less what user space cannot take:
# -mcmodel=kernel, -mno-sse and friends (the interpreter needs its floats),
# and the thunks are gcc's own (=thunk) instead of the kernel's (=thunk-extern).
# ftrace's call sites, which the kernel turns into NOPs at boot, are NOPs
# here too (-pg -mfentry -mnop-mcount).
kernel_flags="-O2 -fno-PIE -fno-strict-aliasing -fno-common
	-fno-delete-null-pointer-checks -fno-strict-overflow
	-fno-allow-store-data-races -fconserve-stack -fstack-protector-strong
	-ftrivial-auto-var-init=zero -falign-jumps=1 -falign-loops=1
	-mno-red-zone -mtune=generic -fcf-protection=none -fno-jump-tables
	-mindirect-branch=thunk -mindirect-branch-register
	-mindirect-branch-cs-prefix -mfunction-return=thunk -mharden-sls=all
	-pg -mfentry -mnop-mcount"
build_lua() {
	make -s -j "$(nproc)" -f "$repo/bench/lua.mk" SRC="$build/lua-src" \
		OUT="$build/bench/$1" FLAGS="$(echo $2)"
}
echo "bench: building Lua interpreters in $build/bench" >&2
build_lua lua-kernel-flags "$kernel_flags"
build_lua lua-plain "-O2 -fno-PIE"

# Ten thousand states for list(); a generous time budget so that the Lua
# workload is not cut short under emulation; memory for all those states.
# No slub_debug: it poisons and checks every kmalloc'd object, a test aid
# that no production kernel runs and that would charge the module (whose
# Lua allocates with kmalloc) but not user space. The guest's Spectre
# mitigations (which decide what the module's thunks cost) go to stderr.
cd "$repo"
"$repo/vm/lunatik-vm" --build "$build" --mem 3G --timeout 900 --no-slub-debug \
	--modparam 'maxstates=20000 timeout_ms=60000' -- \
	/bin/sh -c 'grep -H . /sys/devices/system/cpu/vulnerabilities/spectre_v2 \
		/sys/devices/system/cpu/vulnerabilities/retbleed >&2 || true
		exec "$0" "$@"' \
	"$bench" --script "$repo/bench/intloop.lua" \
	--lua-kernel-flags "$build/bench/lua-kernel-flags/lua" \
	--lua-plain "$build/bench/lua-plain/lua" \
	--lua-debian /usr/bin/lua5.4 --time-scale "$scale" |
	tee "$build/bench/results.txt"
