/* SPDX-License-Identifier: GPL-2.0 */
/* <stddef.h> for Lua in the kernel: size_t, ptrdiff_t, NULL, offsetof. */
#ifndef _LUNATIK_STDDEF_H
#define _LUNATIK_STDDEF_H

#include <linux/stddef.h>
#include <linux/types.h>

#endif /* _LUNATIK_STDDEF_H */
