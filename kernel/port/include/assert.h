/* SPDX-License-Identifier: GPL-2.0 */
/* <assert.h> for Lua in the kernel: a failed assertion warns once. */
#ifndef _LUNATIK_ASSERT_H
#define _LUNATIK_ASSERT_H

#include <linux/bug.h>

#define assert(c)	WARN_ON_ONCE(!(c))

#endif /* _LUNATIK_ASSERT_H */
