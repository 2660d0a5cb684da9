#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the newest kernel version that has both an image in /boot and a
# module build tree, so the module is always built for the kernel it boots.
set -eu
# LUNATIK_KVER picks one explicitly (e.g. when a newer kernel's headers are
# installed for reading only).
if [ -n "${LUNATIK_KVER-}" ]; then
	echo "$LUNATIK_KVER"
	exit 0
fi
for dir in /lib/modules/*/; do
	ver=$(basename "$dir")
	if [ -e "/boot/vmlinuz-$ver" ] && [ -e "/lib/modules/$ver/build/Makefile" ]; then
		echo "$ver"
	fi
done | sort -V | tail -n 1
