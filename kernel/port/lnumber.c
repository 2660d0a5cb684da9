// SPDX-License-Identifier: GPL-2.0
/*
 * Arithmetic on Lua's "floats", which are integers in the kernel
 * (luaconf-kernel.h): '/' and float '//' divide with floor, '%' takes the
 * floor modulo, '^' is integer power. Division by zero is an error, as it
 * is for Lua's integers; overflow wraps around.
 */
#include "lua.h"
#include "ldebug.h"

long long lunatik_numdiv(lua_State *L, long long a, long long b)
{
	long long q;

	if (b == 0)
		luaG_runerror(L, "attempt to divide by zero");
	if (b == -1)	/* LLONG_MIN / -1 overflows: wrap around */
		return lunatik_wrapop(0, -, a);
	q = a / b;
	if (a % b != 0 && (a ^ b) < 0)	/* inexact and negative: floor */
		q--;
	return q;
}

long long lunatik_nummod(lua_State *L, long long a, long long b)
{
	long long r;

	if (b == 0)
		luaG_runerror(L, "attempt to perform 'n%%0'");
	if (b == -1)	/* LLONG_MIN % -1 overflows; the result is 0 */
		return 0;
	r = a % b;
	if (r != 0 && (r ^ b) < 0)	/* result takes the sign of b */
		r += b;
	return r;
}

/* a ^ b, floored like '/': 2 ^ -1 is 0, (-2) ^ -1 is -1. */
long long lunatik_numpow(lua_State *L, long long a, long long b)
{
	unsigned long long base = a;
	unsigned long long result = 1;

	if (b < 0) {
		if (a == 0)
			luaG_runerror(L, "attempt to divide by zero");
		if (a == 1 || (a == -1 && !(b & 1)))
			return 1;
		return a < 0 && (b & 1) ? -1 : 0;
	}
	while (b != 0) {
		if (b & 1)
			result *= base;
		base *= base;
		b >>= 1;
	}
	return result;
}
