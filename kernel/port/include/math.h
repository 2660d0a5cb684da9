/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <math.h> for Lua in the kernel, where Lua's floats hold integer values
 * (luaconf-kernel.h): the few functions Lua's core calls, on integers.
 * HUGE_VAL, the float infinity, has no integer counterpart: the largest
 * integer stands for it (only string.format's %q compares with it).
 */
#ifndef _LUNATIK_MATH_H
#define _LUNATIK_MATH_H

#include <limits.h>

#define HUGE_VAL	LLONG_MAX

/* Every value is integral. */
static inline long long lunatik_floor(long long x)
{
	return x;
}

/* x * 2^e, truncated toward zero like an integer shift. */
static inline long long lunatik_ldexp(long long x, int e)
{
	if (e >= 64 || e <= -64)
		return e > 0 || x >= 0 ? 0 : -1;
	return e >= 0 ? (long long)((unsigned long long)x << e) : x >> -e;
}

/*
 * Splits x into a fraction and a power of two. Integers have no fraction
 * below one: Lua uses it only to hash non-integral floats, which integers
 * never are, and any consistent value works for a hash.
 */
static inline long long lunatik_frexp(long long x, int *e)
{
	*e = 0;
	return x;
}

/* Macros: the compiler knows the float functions of these names. */
#define floor(x)	lunatik_floor(x)
#define ldexp(x, e)	lunatik_ldexp(x, e)
#define frexp(x, e)	lunatik_frexp(x, e)

#endif /* _LUNATIK_MATH_H */
