#!/bin/sh
# SPDX-License-Identifier: MIT
# The kernels the module is built for and tested on, by release (uname -r).
# Each has both an image in /boot and a module build tree.
#
# usage: scripts/kver.sh         Debian's default kernel: the one the
#                                linux-image-amd64 package depends on (6.1
#                                on Debian 12), else the newest one
#        scripts/kver.sh --all   every such kernel, the default first
set -eu

usable() {
	[ -e "/boot/vmlinuz-$1" ] && [ -e "/lib/modules/$1/build/Makefile" ]
}

default=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
if [ -z "$default" ] || ! usable "$default"; then
	default=$(for dir in /lib/modules/*/; do
		ver=$(basename "$dir")
		if usable "$ver"; then echo "$ver"; fi
	done | sort -V | tail -n 1)
fi

case ${1:-} in
'') echo "$default" ;;
--all)
	[ -z "$default" ] || echo "$default"
	for dir in /lib/modules/*/; do
		ver=$(basename "$dir")
		if [ "$ver" != "$default" ] && usable "$ver"; then echo "$ver"; fi
	done | sort -V
	;;
*) echo "usage: scripts/kver.sh [--all]" >&2; exit 2 ;;
esac
