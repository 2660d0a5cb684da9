#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs (or removes) the module's sources as a DKMS tree,
# DESTDIR/usr/src/lunatik-VERSION: the staged module directory of
# scripts/stage-module.sh with every link resolved, so Lua's sources (from
# BUILD/lua-src) are inside and `dkms build` needs no network.
#
# usage: scripts/install-dkms.sh install|uninstall BUILD_DIR [DESTDIR]
set -eu

[ $# -ge 2 ] || { echo "usage: $0 install|uninstall BUILD_DIR [DESTDIR]" >&2; exit 2; }
action=$1
build=$(cd "$2" && pwd)
destdir=${3-}
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^#define LUNATIK_VERSION "\(.*\)"$/\1/p' \
	"$root/include/lunatik/version.h")
[ -n "$version" ] || { echo "install-dkms: no version in include/lunatik/version.h" >&2; exit 1; }
tree="$destdir/usr/src/lunatik-$version"

case $action in
install)
	# A staging directory of its own, so no object of BUILD/module comes
	# along.
	stage="$build/dkms-stage"
	mkdir -p "$stage"
	ln -sfn "$build/lua-src" "$stage/lua-src"
	"$root/scripts/stage-module.sh" "$stage"
	rm -rf "$tree"
	mkdir -p "$tree"
	cp -RL "$stage/module/." "$tree/"
	cat > "$tree/dkms.conf" <<CONF
PACKAGE_NAME="lunatik"
PACKAGE_VERSION="$version"
BUILT_MODULE_NAME[0]="lunatik"
DEST_MODULE_LOCATION[0]="/updates/dkms"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build clean"
AUTOINSTALL="yes"
CONF
	echo "install-dkms: $tree (then: dkms install lunatik/$version)"
	;;
uninstall)
	# Unregister from DKMS only on the real system, never in a DESTDIR.
	if [ -z "$destdir" ] && command -v dkms >/dev/null &&
		dkms status lunatik/"$version" 2>/dev/null | grep -q .; then
		dkms remove lunatik/"$version" --all
	fi
	rm -rf "$tree"
	;;
*)
	echo "usage: $0 install|uninstall BUILD_DIR [DESTDIR]" >&2
	exit 2
	;;
esac
