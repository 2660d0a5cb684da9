/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <stdlib.h> for Lua in the kernel. realloc/free serve only lauxlib's
 * default allocator (luaL_newstate), which kernel states do not use; they
 * map onto the kernel heap so that it would still be correct.
 */
#ifndef _LUNATIK_STDLIB_H
#define _LUNATIK_STDLIB_H

#include <linux/bug.h>
#include <linux/slab.h>

#define realloc(p, n)	krealloc((p), (n), GFP_KERNEL | __GFP_NOWARN)
#define free(p)		kfree(p)

/*
 * Lua aborts only when an error escapes every protected call; state.c
 * runs all Lua code protected, so reaching this is a bug of ours.
 */
#define abort()		BUG()

#endif /* _LUNATIK_STDLIB_H */
