/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <float.h> for Lua in the kernel. "Floats" are 64-bit integers: every
 * integer fits in one exactly, which is what Lua asks when it reads the
 * mantissa size.
 */
#ifndef _LUNATIK_FLOAT_H
#define _LUNATIK_FLOAT_H

#define DBL_MANT_DIG	64
#define DBL_DIG		18
#define DBL_MAX_10_EXP	18

#endif /* _LUNATIK_FLOAT_H */
