#!/bin/sh
# SPDX-License-Identifier: MIT
# Stages BUILD/module, the Kbuild external-module directory: real
# directories holding one symlink per source file, so that objects land in
# BUILD/module and never in the source tree. Lua's sources come from
# BUILD/lua-src (scripts/deps.sh); lstrlib.c is a copy with
# kernel/port/lstrlib.patch applied. Idempotent and fast: only what changed
# is redone, and links to deleted sources are removed.
#
# usage: scripts/stage-module.sh BUILD_DIR
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build"
build=$(cd "$build" && pwd)
mod="$build/module"
lua="$build/lua-src/src"

[ -f "$lua/lapi.c" ] || { echo "stage-module: no Lua sources in $lua (run make deps)" >&2; exit 1; }

# Lua's files the module compiles: the core and the libraries kernel
# states open (kernel/port/lintmath.c replaces lmathlib.c).
lua_sources="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject
	lopcodes lparser lstate lstring ltable ltm lundump lvm lzio lauxlib
	lbaselib lcorolib ltablib lutf8lib"

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

(cd "$root/kernel" && find port -type d) | while read -r d; do
	mkdir -p "$mod/$d"
done
(cd "$root/kernel" && find port -type f ! -name '*.patch') | while read -r f; do
	link "$root/kernel/$f" "$mod/$f"
done

mkdir -p "$mod/memory" "$mod/include/uapi/linux" "$mod/include/lunatik"
for f in "$root"/memory/*.c "$root"/memory/*.h; do
	[ -e "$f" ] && link "$f" "$mod/memory/$(basename "$f")"
done
link "$root/include/uapi/linux/lunatik.h" "$mod/include/uapi/linux/lunatik.h"
link "$root/include/lunatik/version.h" "$mod/include/lunatik/version.h"

for f in $lua_sources; do
	link "$lua/$f.c" "$mod/$f.c"
done
for f in "$lua"/*.h; do
	link "$f" "$mod/$(basename "$f")"
done

# The patched copy, remade when Lua's file or the patch is newer.
patched="$mod/lstrlib.c"
patch_file="$root/kernel/port/lstrlib.patch"
if [ -L "$patched" ] || [ ! -f "$patched" ] ||
	[ "$lua/lstrlib.c" -nt "$patched" ] || [ "$patch_file" -nt "$patched" ]; then
	tmp="$mod/.lstrlib.c.tmp"
	rm -f "$tmp" "$tmp.orig" "$tmp.rej"
	cp "$lua/lstrlib.c" "$tmp"
	patch -s -p1 --no-backup-if-mismatch "$tmp" < "$patch_file"
	rm -f "$patched"
	mv "$tmp" "$patched"
fi

# Links whose source is gone (a deleted or renamed file).
find "$mod" -type l ! -exec test -e {} \; -delete
