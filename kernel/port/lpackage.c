// SPDX-License-Identifier: GPL-2.0
/*
 * The package library of kernel Lua: require, package.loaded and
 * package.preload, as in Lua 5.4's manual, and nothing that looks for
 * files or C libraries (path, cpath, searchers, searchpath, loadlib): a
 * kernel state has neither. Every library a state opens is in
 * package.loaded, so require'memory' returns the global memory; a module
 * sent as source becomes requirable with package.preload.x = load(src).
 */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#define PRELOAD_ORIGIN	":preload:"

/*
 * require(name): package.loaded[name] if set, else the value of
 * package.preload[name](name, ":preload:"), kept in package.loaded (true
 * when the loader returned nothing), and ":preload:".
 */
static int lpackage_require(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);	/* 2 */
	lua_getfield(L, 2, name);
	if (lua_toboolean(L, -1))
		return 1;
	lua_pop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	if (lua_getfield(L, -1, name) != LUA_TFUNCTION)
		return luaL_error(L, "module '%s' not found:\n\tno field "
				  "package.preload['%s']", name, name);
	lua_pushvalue(L, 1);
	lua_pushliteral(L, PRELOAD_ORIGIN);
	lua_call(L, 2, 1);
	if (!lua_isnil(L, -1))
		lua_setfield(L, 2, name);
	else
		lua_pop(L, 1);
	if (lua_getfield(L, 2, name) == LUA_TNIL) {
		lua_pushboolean(L, 1);
		lua_copy(L, -1, -2);
		lua_setfield(L, 2, name);
	}
	lua_pushliteral(L, PRELOAD_ORIGIN);
	return 2;
}

int luaopen_package(lua_State *L)
{
	lua_createtable(L, 0, 2);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_setfield(L, -2, "loaded");
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_setfield(L, -2, "preload");
	lua_pushcfunction(L, lpackage_require);
	lua_setglobal(L, "require");
	return 1;
}
