/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <ctype.h> for Lua in the kernel. The kernel's classes follow Latin-1
 * (é is a letter there); Lua's pattern classes follow the "C" locale, so
 * only ASCII characters belong to a class here.
 */
#ifndef _LUNATIK_CTYPE_H
#define _LUNATIK_CTYPE_H

#include <linux/ctype.h>

static inline int lunatik_isclass(int c, unsigned char mask)
{
	return (unsigned int)c < 128 && (_ctype[c] & mask) != 0;
}

#undef isalnum
#define isalnum(c)	lunatik_isclass(c, _U | _L | _D)
#undef isalpha
#define isalpha(c)	lunatik_isclass(c, _U | _L)
#undef iscntrl
#define iscntrl(c)	lunatik_isclass(c, _C)
#undef isdigit
#define isdigit(c)	lunatik_isclass(c, _D)
#undef isgraph
#define isgraph(c)	lunatik_isclass(c, _P | _U | _L | _D)
#undef islower
#define islower(c)	lunatik_isclass(c, _L)
#undef isprint
#define isprint(c)	lunatik_isclass(c, _P | _U | _L | _D | _SP)
#undef ispunct
#define ispunct(c)	lunatik_isclass(c, _P)
#undef isspace
#define isspace(c)	lunatik_isclass(c, _S)
#undef isupper
#define isupper(c)	lunatik_isclass(c, _U)
#undef isxdigit
#define isxdigit(c)	lunatik_isclass(c, _D | _X)

static inline int lunatik_tolower(int c)
{
	return isupper(c) ? c - 'A' + 'a' : c;
}

static inline int lunatik_toupper(int c)
{
	return islower(c) ? c - 'a' + 'A' : c;
}

#undef tolower
#define tolower(c)	lunatik_tolower(c)
#undef toupper
#define toupper(c)	lunatik_toupper(c)

#endif /* _LUNATIK_CTYPE_H */
