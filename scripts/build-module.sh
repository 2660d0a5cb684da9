#!/bin/bash
# Builds lunatik.ko for one kernel, or for every kernel the tests boot, each
# in its own Kbuild directory: BUILD/module for Debian's default kernel
# (scripts/kver.sh), BUILD/module-RELEASE for the others, including the
# debug kernel (scripts/debug-kernel.sh, built first if not cached).
#
# usage: scripts/build-module.sh BUILD_DIR [RELEASE | debug | --all]
#        (default: Debian's default kernel)
#        scripts/build-module.sh BUILD_DIR --dir RELEASE
#        prints that kernel's module directory, builds nothing
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: scripts/build-module.sh BUILD_DIR [RELEASE | debug | --all]" >&2; exit 2; }
mkdir -p "$1"
build=$(cd "$1" && pwd)
default=$("$repo/scripts/kver.sh")

module_dir() {
	if [ "$1" = "$default" ]; then
		echo "$build/module"
	else
		echo "$build/module-$1"
	fi
}

# build_for RELEASE KERNEL_BUILD_TREE
build_for() {
	local dir
	dir=$(module_dir "$1")
	echo "== lunatik.ko for $1: $dir"
	"$repo/scripts/stage-module.sh" "$build" "$dir"
	make -C "$2" M="$dir" modules
}

build_debug() {
	local cache
	cache=$("$repo/scripts/debug-kernel.sh")
	build_for "$(cat "$cache/release")" "$cache/build"
}

case ${2:-} in
'') build_for "$default" "/lib/modules/$default/build" ;;
debug) build_debug ;;
--all)
	for release in $("$repo/scripts/kver.sh" --all); do
		build_for "$release" "/lib/modules/$release/build"
	done
	build_debug
	;;
--dir) [ $# -eq 3 ] || { echo "usage: scripts/build-module.sh BUILD_DIR --dir RELEASE" >&2; exit 2; }
	module_dir "$3" ;;
*) build_for "$2" "/lib/modules/$2/build" ;;
esac
