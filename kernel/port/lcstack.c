// SPDX-License-Identifier: GPL-2.0
/*
 * Lua's C-call limit, LUAI_MAXCCALLS, made to follow the kernel stack.
 *
 * Lua counts nested C calls (and syntax levels while parsing) and, in
 * luaE_checkcstack(), raises "C stack overflow" when the count equals
 * LUAI_MAXCCALLS, lets the error's message handler run while the count is
 * above it by less than a tenth, and throws LUA_ERRERR beyond. Here the
 * limit is Lua's 200 while the stack has room; once less than
 * LUNATIK_CSTACK_SOFT bytes are left it is the current count, so the call
 * fails; calls made deeper than that failure (the message handler) get
 * Lua's 200 again; below LUNATIK_CSTACK_HARD it is 0, so every call
 * throws LUA_ERRERR at once.
 */
#include "lua.h"
#include "lstate.h"

int lunatik_maxccalls(lua_State *L)
{
	struct lunatik_thread *thread = lunatik_thread(L);
	unsigned long left = lunatik_stackleft();
	unsigned int calls;

	if (unlikely(L->ci->callstatus & CIST_FIN))
		L->allowhook = 1;
	if (likely(left > LUNATIK_CSTACK_SOFT)) {
		thread->overflow = 0;
		return LUNATIK_MAXCCALLS;
	}
	if (left <= LUNATIK_CSTACK_HARD)
		return 0;
	calls = getCcalls(L);
	if (thread->overflow != 0 && calls > thread->overflow)
		return LUNATIK_MAXCCALLS;	/* handling the overflow */
	thread->overflow = calls;
	return calls;
}

