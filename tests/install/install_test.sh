#!/bin/sh
# SPDX-License-Identifier: MIT
# make install into a DESTDIR, then: the Lua modules load from it, the CLI
# runs, a client builds against the installed lunatik.pc and runs, `dkms
# build` builds lunatik.ko from the installed tree (if dkms is there), and
# make uninstall leaves no file behind. Then `luarocks make` builds the
# rockspec from a copy of the sources into a tree of its own, its modules
# load, and `luarocks remove` takes them away. The client and the DESTDIR stay in
# BUILD/install-test for tests/vm/install_test.lua.
#
# usage: tests/install/install_test.sh SOURCE_DIR BUILD_DIR
set -eu

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
out=$build/install-test
dest=$out/dest
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/user/CMakeCache.txt")
fail() { echo "install_test: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" install BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" \
	>"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "make install failed"; }

for f in bin/lunatik share/man/man1/lunatik.1 lib/lua/5.4/lunatik.so \
	lib/lua/5.4/memory.so lib/liblunatik.a lib/pkgconfig/lunatik.pc \
	include/lunatik/session.h include/lunatik/status.h \
	include/lunatik/value.h include/lunatik/version.h; do
	[ -f "$dest$prefix/$f" ] || fail "not installed: $prefix/$f"
done
version=$(sed -n 's/^#define LUNATIK_VERSION "\(.*\)"$/\1/p' "$src/include/lunatik/version.h")
tree=$dest/usr/src/lunatik-$version
[ -f "$tree/dkms.conf" ] && [ -f "$tree/lapi.c" ] && [ -f "$tree/Kbuild" ] ||
	fail "no DKMS tree with Lua's sources in /usr/src/lunatik-$version"
[ -z "$(find "$tree" -type l)" ] || fail "the DKMS tree holds symlinks"

"$dest$prefix/bin/lunatik" --help | grep -q 'usage: lunatik' || fail "lunatik --help"
LUA_CPATH="$dest$prefix/lib/lua/5.4/?.so" lua5.4 -e \
	"assert(require'memory'.create); assert(require'lunatik'.session)" ||
	fail "the installed Lua modules do not load"

export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$dest$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion lunatik)" = "$version" ] || fail "lunatik.pc version"
# shellcheck disable=SC2046  # pkg-config prints several words
c++ -std=c++20 -o "$out/client" "$src/tests/install/client.cc" \
	$(pkg-config --cflags --libs lunatik) || fail "the client does not build"
# The host has no module: the client must run and say so.
if msg=$("$out/client" 2>&1); then
	case $msg in "states: "*) ;; *) fail "client: $msg" ;; esac
elif [ "$msg" != "lunatik module not loaded" ]; then
	fail "client: $msg"
fi
echo "install_test: client built against lunatik.pc ran: $msg"

if command -v dkms >/dev/null; then
	kver=$("$src/scripts/kver.sh")
	dkmstree=$out/dkms
	mkdir -p "$dkmstree"
	dkms add "lunatik/$version" --sourcetree "$dest/usr/src" \
		--dkmstree "$dkmstree" >"$out/dkms.log" 2>&1 &&
		dkms build "lunatik/$version" -k "$kver" --sourcetree "$dest/usr/src" \
			--dkmstree "$dkmstree" >>"$out/dkms.log" 2>&1 ||
		{ cat "$out/dkms.log"; fail "dkms build failed for $kver"; }
	ko=$(find "$dkmstree/lunatik/$version/$kver" -name 'lunatik.ko*' | head -n 1)
	[ -n "$ko" ] || fail "dkms built no lunatik.ko"
	modinfo -F version "$ko" | grep -qx "$version" || fail "$ko: wrong version"
	echo "install_test: dkms built $ko for $kver"
	rm -rf "$dkmstree"
else
	echo "install_test: dkms is not installed, its build is not tested"
fi

# A copy for uninstall to remove; the first one stays for the VM test.
cp -a "$dest" "$out/dest2"
make -s -C "$src" uninstall BUILD="$build" DESTDIR="$out/dest2" PREFIX="$prefix" \
	>/dev/null || fail "make uninstall failed"
left=$(find "$out/dest2" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
rm -rf "$out/dest2"

# luarocks builds in the directory it is given: a copy of the sources keeps
# build.luarocks/ out of the checkout.
rocks=$out/rocks
mkdir -p "$rocks/src"
(cd "$src" && git ls-files -z 2>/dev/null | xargs -0 cp --parents -t "$rocks/src") ||
	tar -C "$src" --exclude=./build -cf - . | tar -C "$rocks/src" -xf -
rockspec=$(cd "$rocks/src" && ls lunatik-*.rockspec)
(unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH; cd "$rocks/src" && luarocks --lua-version=5.4 --tree "$rocks/tree" make "$rockspec") \
	>"$out/luarocks.log" 2>&1 || { cat "$out/luarocks.log"; fail "luarocks make failed"; }
rocklib=$rocks/tree/lib/lua/5.4
[ -f "$rocklib/lunatik.so" ] && [ -f "$rocklib/memory.so" ] ||
	fail "luarocks make installed no lunatik.so and memory.so"
LUA_CPATH="$rocklib/?.so" lua5.4 -e \
	"assert(require'memory'.create); assert(require'lunatik'.session)" ||
	fail "the modules luarocks installed do not load"
luarocks --lua-version=5.4 --tree "$rocks/tree" remove lunatik >>"$out/luarocks.log" 2>&1 ||
	fail "luarocks remove failed"
[ ! -e "$rocklib/lunatik.so" ] && [ ! -e "$rocklib/memory.so" ] ||
	fail "luarocks remove left the modules"
echo "install_test: luarocks make built and removed ${rockspec%.rockspec}"
rm -rf "$rocks"
echo "install_test: ok"
