/* SPDX-License-Identifier: GPL-2.0 */
/* <string.h> for Lua in the kernel. */
#ifndef _LUNATIK_STRING_H
#define _LUNATIK_STRING_H

#include <linux/string.h>

/* Kernel strings have no locale: collate bytewise, as the "C" locale. */
#define strcoll(a, b)	strcmp(a, b)

/* The kernel has no errno (see errno.h): name the only failure Lua reports. */
static inline const char *strerror(int errnum)
{
	return "no files in the kernel";
}

#endif /* _LUNATIK_STRING_H */
