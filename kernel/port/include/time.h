/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <time.h> for Lua in the kernel. Lua uses the clock only to seed its
 * hashes and table.sort's pivots; luaconf-kernel.h seeds both from the
 * kernel's random numbers instead.
 */
#ifndef _LUNATIK_TIME_H
#define _LUNATIK_TIME_H
#endif /* _LUNATIK_TIME_H */
