/* SPDX-License-Identifier: GPL-2.0 */
/* <stdint.h> for Lua in the kernel: the kernel lacks only intptr_t. */
#ifndef _LUNATIK_STDINT_H
#define _LUNATIK_STDINT_H

#include <linux/types.h>

typedef long intptr_t;

#endif /* _LUNATIK_STDINT_H */
