// SPDX-License-Identifier: GPL-2.0
/* The table of kernel/lib/'s bindings, and what they share (libs.h). */
#include "lua.h"
#include "state.h"
#include "libs.h"

const luaL_Reg lunatik_libs[] = {
	{ "netfilter", luaopen_netfilter },
	{ "probe", luaopen_probe },
	{ "timer", luaopen_timer },
	{ NULL, NULL }
};

int lunatik_libs_init(void)
{
	return lunatik_timer_init();
}

void lunatik_libs_exit(void)
{
	lunatik_timer_exit();
}

void lunatik_lib_newclass(lua_State *L, const char *name,
			  const luaL_Reg *methods, lua_CFunction gc,
			  lua_CFunction tostring)
{
	luaL_newmetatable(L, name);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	if (gc) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pushcfunction(L, tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
}

/* Registering and unregistering a hook sleep. */
void lunatik_lib_checksleep(lua_State *L, const char *what)
{
	if (lunatik_state_atomic(L))
		luaL_error(L, "%s: not from a hook callback", what);
}

void lunatik_lib_checkregister(lua_State *L, const char *what)
{
	lunatik_lib_checksleep(L, what);
	if (lunatik_state_closing(L))
		luaL_error(L, "%s: the state is closing", what);
}
