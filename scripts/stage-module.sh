#!/bin/sh
# SPDX-License-Identifier: MIT
# Stages BUILD/module (or another directory), the Kbuild external-module directory: real
# directories holding one symlink per source file, so that objects land in
# BUILD/module and never in the source tree. Lua's sources come from
# BUILD/lua-src (scripts/deps.sh); a file with a kernel/port/NAME.patch
# is a copy with that patch applied. Idempotent and fast: only what changed
# is redone, and links to deleted sources are removed.
#
# usage: scripts/stage-module.sh BUILD_DIR [MODULE_DIR]
# MODULE_DIR defaults to BUILD_DIR/module; one per kernel built for.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build"
build=$(cd "$build" && pwd)
mod=${2:-$build/module}
lua="$build/lua-src/src"

[ -f "$lua/lapi.c" ] || { echo "stage-module: no Lua sources in $lua (run make deps)" >&2; exit 1; }

# Lua's files the module compiles: the core and the libraries kernel
# states open (kernel/port/lintmath.c replaces lmathlib.c).
lua_sources="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject
	lopcodes lparser lstate lstring ltable ltm lundump lvm lzio lauxlib
	lbaselib lcorolib lstrlib ltablib lutf8lib"

# link SOURCE DEST: makes DEST a symlink to SOURCE unless it already is.
link() {
	if [ "$(readlink "$2" 2>/dev/null || true)" != "$1" ]; then
		rm -f "$2"
		ln -s "$1" "$2"
	fi
}

mkdir -p "$mod"

for f in "$root"/kernel/*.c "$root"/kernel/*.h "$root"/kernel/*.S \
	"$root"/kernel/Kbuild; do
	[ -e "$f" ] && link "$f" "$mod/$(basename "$f")"
done

(cd "$root/kernel" && find port lib -type d) | while read -r d; do
	mkdir -p "$mod/$d"
done
(cd "$root/kernel" && find port lib -type f ! -name '*.patch') | while read -r f; do
	link "$root/kernel/$f" "$mod/$f"
done

mkdir -p "$mod/memory" "$mod/include/uapi/linux" "$mod/include/lunatik"
for f in "$root"/memory/*.c "$root"/memory/*.h; do
	[ -e "$f" ] && link "$f" "$mod/memory/$(basename "$f")"
done
link "$root/include/uapi/linux/lunatik.h" "$mod/include/uapi/linux/lunatik.h"
link "$root/include/lunatik/version.h" "$mod/include/lunatik/version.h"

# patched SOURCE PATCH DEST: DEST is a copy of SOURCE with PATCH applied,
# remade when SOURCE or PATCH is newer.
patched() {
	if [ -L "$3" ] || [ ! -f "$3" ] || [ "$1" -nt "$3" ] || [ "$2" -nt "$3" ]; then
		tmp="$mod/.$(basename "$3").tmp"
		rm -f "$tmp" "$tmp.orig" "$tmp.rej"
		cp "$1" "$tmp"
		patch -s -p1 --no-backup-if-mismatch "$tmp" <"$2"
		rm -f "$3"
		mv "$tmp" "$3"
	fi
}

for f in $lua_sources; do
	if [ -f "$root/kernel/port/$f.patch" ]; then
		patched "$lua/$f.c" "$root/kernel/port/$f.patch" "$mod/$f.c"
	else
		link "$lua/$f.c" "$mod/$f.c"
	fi
done
for f in "$lua"/*.h; do
	link "$f" "$mod/$(basename "$f")"
done

# Links whose source is gone (a deleted or renamed file).
find "$mod" -type l ! -exec test -e {} \; -delete
