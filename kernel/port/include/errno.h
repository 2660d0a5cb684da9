/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <errno.h> for Lua in the kernel. Lua reads errno only after a failed
 * file operation, and kernel Lua has no files (see stdio.h): no call ever
 * sets it.
 */
#ifndef _LUNATIK_ERRNO_H
#define _LUNATIK_ERRNO_H

#include <linux/errno.h>

#define errno	0

#endif /* _LUNATIK_ERRNO_H */
