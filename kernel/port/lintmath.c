// SPDX-License-Identifier: GPL-2.0
/*
 * The math library of kernel Lua, where every number is an integer:
 * abs, ceil, floor, fmod, max, min, random, randomseed, sqrt, tointeger,
 * type, ult, maxinteger, mininteger. No trigonometry, logarithms, pi or
 * huge. Functions follow Lua 5.4's manual wherever integers allow it.
 */
#include <linux/math.h>
#include <linux/random.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int math_abs(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);

	/* mininteger is its own absolute value, as in Lua */
	lua_pushinteger(L, n < 0 ? (lua_Integer)(0u - (lua_Unsigned)n) : n);
	return 1;
}

/* Every value is integral: floor and ceil turn "floats" into integers. */
static int math_floor(lua_State *L)
{
	lua_pushinteger(L, luaL_checkinteger(L, 1));
	return 1;
}

/* The remainder of a truncating division, with the sign of the dividend. */
static int math_fmod(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);

	luaL_argcheck(L, b != 0, 2, "zero");
	/* b == -1 would overflow on mininteger; the remainder is 0 anyway */
	lua_pushinteger(L, b == -1 ? 0 : a % b);
	return 1;
}

/* The argument that is least (or, with @max, greatest), as Lua compares. */
static int math_pick(lua_State *L, bool max)
{
	int n = lua_gettop(L);
	int best = 1;
	int i;

	luaL_argcheck(L, n >= 1, 1, "number expected");
	for (i = 1; i <= n; i++) {
		luaL_checkinteger(L, i);
		if (max ? lua_compare(L, best, i, LUA_OPLT) :
			  lua_compare(L, i, best, LUA_OPLT))
			best = i;
	}
	lua_pushvalue(L, best);
	return 1;
}

static int math_min(lua_State *L)
{
	return math_pick(L, false);
}

static int math_max(lua_State *L)
{
	return math_pick(L, true);
}

static int math_sqrt(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);

	luaL_argcheck(L, n >= 0, 1, "negative");
	lua_pushinteger(L, int_sqrt(n));	/* the floor of the root */
	return 1;
}

static int math_tointeger(lua_State *L)
{
	int isnum;
	lua_Integer n = lua_tointegerx(L, 1, &isnum);

	luaL_checkany(L, 1);
	if (isnum && lua_type(L, 1) == LUA_TNUMBER)
		lua_pushinteger(L, n);
	else
		lua_pushnil(L);
	return 1;
}

/* "float" for the results of '/' and '^', whose values are integers. */
static int math_type(lua_State *L)
{
	luaL_checkany(L, 1);
	if (lua_type(L, 1) == LUA_TNUMBER)
		lua_pushstring(L, lua_isinteger(L, 1) ? "integer" : "float");
	else
		lua_pushnil(L);
	return 1;
}

static int math_ult(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);

	lua_pushboolean(L, (lua_Unsigned)a < (lua_Unsigned)b);
	return 1;
}

/*
 * Pseudo-random numbers: xoshiro256**, like Lua's own generator, with its
 * state in a userdata upvalue so each Lua state has its own sequence.
 */
struct math_rng {
	u64 s[4];
};

static u64 rotl(u64 x, int n)
{
	return (x << n) | (x >> (64 - n));
}

static u64 rng_next(struct math_rng *rng)
{
	u64 *s = rng->s;
	u64 result = rotl(s[1] * 5, 7) * 9;
	u64 t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static void rng_seed(struct math_rng *rng, u64 n1, u64 n2)
{
	int i;

	rng->s[0] = n1;
	rng->s[1] = 0xff;	/* avoid an all-zero state */
	rng->s[2] = n2;
	rng->s[3] = 0;
	for (i = 0; i < 16; i++)	/* discard the first, poorly mixed values */
		rng_next(rng);
}

/* A uniform value in [0, n]: mask to n's bits and reject what is above. */
static u64 rng_project(struct math_rng *rng, u64 n)
{
	u64 lim = n;
	u64 r;

	if ((n & (n + 1)) == 0)	/* n + 1 is a power of 2 */
		return rng_next(rng) & n;
	lim |= lim >> 1;
	lim |= lim >> 2;
	lim |= lim >> 4;
	lim |= lim >> 8;
	lim |= lim >> 16;
	lim |= lim >> 32;
	while ((r = rng_next(rng) & lim) > n)
		;
	return r;
}

/*
 * random(m, n): an integer in [m, n]; random(m): in [1, m]; random() and
 * random(0): an integer with all bits random (there is no float in [0, 1)).
 */
static int math_random(lua_State *L)
{
	struct math_rng *rng = lua_touserdata(L, lua_upvalueindex(1));
	lua_Integer low, up;

	switch (lua_gettop(L)) {
	case 0:
		lua_pushinteger(L, (lua_Integer)rng_next(rng));
		return 1;
	case 1:
		low = 1;
		up = luaL_checkinteger(L, 1);
		if (up == 0) {
			lua_pushinteger(L, (lua_Integer)rng_next(rng));
			return 1;
		}
		break;
	case 2:
		low = luaL_checkinteger(L, 1);
		up = luaL_checkinteger(L, 2);
		break;
	default:
		return luaL_error(L, "wrong number of arguments");
	}
	luaL_argcheck(L, low <= up, lua_gettop(L), "interval is empty");
	lua_pushinteger(L, (lua_Integer)(rng_project(rng, (u64)up - (u64)low) +
					 (u64)low));
	return 1;
}

/* randomseed([n1 [, n2]]): without arguments, a seed from the kernel. */
static int math_randomseed(lua_State *L)
{
	struct math_rng *rng = lua_touserdata(L, lua_upvalueindex(1));
	u64 n1, n2;

	if (lua_isnone(L, 1)) {
		n1 = get_random_u64();
		n2 = get_random_u64();
	} else {
		n1 = (u64)luaL_checkinteger(L, 1);
		n2 = (u64)luaL_optinteger(L, 2, 0);
	}
	rng_seed(rng, n1, n2);
	lua_pushinteger(L, (lua_Integer)n1);
	lua_pushinteger(L, (lua_Integer)n2);
	return 2;
}

static const luaL_Reg math_funcs[] = {
	{"abs", math_abs},
	{"ceil", math_floor},
	{"floor", math_floor},
	{"fmod", math_fmod},
	{"max", math_max},
	{"min", math_min},
	{"sqrt", math_sqrt},
	{"tointeger", math_tointeger},
	{"type", math_type},
	{"ult", math_ult},
	{"random", NULL},
	{"randomseed", NULL},
	{NULL, NULL}
};

LUAMOD_API int luaopen_math(lua_State *L)
{
	struct math_rng *rng;

	luaL_newlib(L, math_funcs);
	rng = lua_newuserdatauv(L, sizeof(*rng), 0);
	rng_seed(rng, get_random_u64(), get_random_u64());
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, math_random, 1);
	lua_setfield(L, -3, "random");
	lua_pushcclosure(L, math_randomseed, 1);
	lua_setfield(L, -2, "randomseed");
	lua_pushinteger(L, LUA_MAXINTEGER);
	lua_setfield(L, -2, "maxinteger");
	lua_pushinteger(L, LUA_MININTEGER);
	lua_setfield(L, -2, "mininteger");
	return 1;
}
