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

/* Opened in every state, after Lua's own libraries; ends with {NULL}. */
extern const luaL_Reg lunatik_libs[];

int luaopen_netfilter(lua_State *L);

#endif /* _LUNATIK_LIBS_H */
