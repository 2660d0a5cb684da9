#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what the build, the VM and the tests need, and fetches Lua's
# sources from Debian's source package. Idempotent: when everything is
# present it does no network work.
#
# usage: scripts/deps.sh BUILD_DIR
set -eu

build=${1:-build}
packages="build-essential dpkg-dev linux-headers-amd64 linux-image-amd64
	qemu-system-x86 busybox-static lua5.4 liblua5.4-dev libmnl-dev cmake
	googletest libgtest-dev pkg-config kmod util-linux iproute2 patch
	xz-utils libedit-dev nlohmann-json3-dev dkms luarocks python3
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.12 bc bison flex libelf-dev libssl-dev nftables"

missing=""
for pkg in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	"install ok installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

updated=no
apt_update() {
	if [ "$updated" = no ]; then
		apt-get update -q
		updated=yes
	fi
}

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
fi

# apt-get source needs a deb-src entry. Derive one from the machine's own
# deb entries rather than naming any mirror.
has_deb_src() {
	grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/
}

lua_src="$build/lua-src"
if [ ! -f "$lua_src/src/lapi.c" ]; then
	if ! has_deb_src; then
		echo "deps: adding deb-src entries derived from the apt sources"
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			case "$f" in *lunatik-src.sources) continue ;; esac
			sed -n '/^Types:/,$p' "$f" |
				sed 's/^Types:.*\<deb\>.*/Types: deb-src/'
			echo
		done > /etc/apt/sources.list.d/lunatik-src.sources
		if [ -f /etc/apt/sources.list ]; then
			sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' \
				/etc/apt/sources.list \
				> /etc/apt/sources.list.d/lunatik-src.list
		fi
		updated=no
	fi
	apt_update
	fetch="$build/lua-fetch"
	rm -rf "$fetch"
	mkdir -p "$fetch"
	(cd "$fetch" && apt-get source -q lua5.4)
	dir=$(find "$fetch" -maxdepth 1 -type d -name 'lua5.4-*' | head -n 1)
	[ -f "$dir/src/lapi.c" ] || { echo "deps: no Lua sources in $fetch" >&2; exit 1; }
	rm -rf "$lua_src"
	mv "$dir" "$lua_src"
	rm -rf "$fetch"
fi
