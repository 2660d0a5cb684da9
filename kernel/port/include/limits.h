/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <limits.h> for Lua in the kernel. The kernel's limits are written with
 * casts, which the preprocessor cannot evaluate, and Lua tests them in #if:
 * redefine them as plain literals of the same values and types.
 */
#ifndef _LUNATIK_LIMITS_H
#define _LUNATIK_LIMITS_H

#include <linux/limits.h>

#undef CHAR_BIT
#define CHAR_BIT	8
#undef SCHAR_MAX
#define SCHAR_MAX	127
#undef SCHAR_MIN
#define SCHAR_MIN	(-128)
#undef UCHAR_MAX
#define UCHAR_MAX	255
#undef CHAR_MAX
#define CHAR_MAX	SCHAR_MAX
#undef CHAR_MIN
#define CHAR_MIN	SCHAR_MIN
#undef SHRT_MAX
#define SHRT_MAX	32767
#undef SHRT_MIN
#define SHRT_MIN	(-SHRT_MAX - 1)
#undef USHRT_MAX
#define USHRT_MAX	65535
#undef INT_MAX
#define INT_MAX		2147483647
#undef INT_MIN
#define INT_MIN		(-INT_MAX - 1)
#undef UINT_MAX
#define UINT_MAX	4294967295U
#undef LONG_MAX
#define LONG_MAX	9223372036854775807L
#undef LONG_MIN
#define LONG_MIN	(-LONG_MAX - 1L)
#undef ULONG_MAX
#define ULONG_MAX	18446744073709551615UL
#undef LLONG_MAX
#define LLONG_MAX	9223372036854775807LL
#undef LLONG_MIN
#define LLONG_MIN	(-LLONG_MAX - 1LL)
#undef ULLONG_MAX
#define ULLONG_MAX	18446744073709551615ULL

#endif /* _LUNATIK_LIMITS_H */
