/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bindings of kernel/lib/: libraries that let a state's Lua code hook
 * kernel events. Each one builds on the callback interface of state.h and
 * nothing else of the core; adding one touches only this directory (and
 * Kbuild).
 */
#ifndef _LUNATIK_LIBS_H
#define _LUNATIK_LIBS_H

#include "lauxlib.h"
#include "init.h"

/* Opened in every state, after Lua's own libraries; ends with {NULL}. */
extern const luaL_Reg lunatik_libs[];

/*
 * A class of objects: @methods as __index, @gc (unless NULL) as __gc and
 * __close, and @tostring.
 */
void lunatik_lib_newclass(lua_State *L, const char *name,
			  const luaL_Reg *methods, lua_CFunction gc,
			  lua_CFunction tostring);

/* Raises "@what: not from a hook callback" in an atomic callback. */
void lunatik_lib_checksleep(lua_State *L, const char *what);

/*
 * Raises as lunatik_lib_checksleep() does, and "@what: the state is
 * closing" in a finalizer that lua_close() runs (lunatik_state_closing()).
 */
void lunatik_lib_checkregister(lua_State *L, const char *what);

int luaopen_netfilter(lua_State *L);
int luaopen_probe(lua_State *L);
int luaopen_timer(lua_State *L);

int lunatik_timer_init(void);
void lunatik_timer_exit(void);

#endif /* _LUNATIK_LIBS_H */
