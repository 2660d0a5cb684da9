/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * memory: writable byte arrays for Lua (the lua-memory interface).
 *
 * One source serves the Lua module memory.so, the user-space lunatik module
 * and the kernel module. Every memory object, whichever copy of the code
 * made it, is a userdata with the metatable registered under
 * LMEMORY_METATABLE, so copies loaded into one Lua state share objects.
 */
#ifndef LUNATIK_MEMORY_H
#define LUNATIK_MEMORY_H

#ifdef __cplusplus
extern "C" {
#endif

#include "lua.h"

#define LMEMORY_METATABLE "memory"

/* Opens the library: returns the table of functions, which is also the
 * __index of every memory's metatable. */
int luaopen_memory(lua_State *L);

/* Pushes a new fixed-size memory of len zero bytes and returns its bytes,
 * which stay valid while the memory is reachable. Raises a Lua error when
 * len is too large or memory runs out. */
char *lmemory_newfixed(lua_State *L, size_t len);

/* Pushes a fixed memory over len bytes at bytes, which stay the caller's:
 * they must stay valid until the caller passes what this returns to
 * lmemory_invalidate(), after which any use of the memory raises a Lua
 * error, or to lmemory_setexternal(), which points it at other bytes (a
 * memory made over NULL starts invalid). Raises a Lua error when memory
 * runs out. */
void *lmemory_newexternal(lua_State *L, char *bytes, size_t len);
void lmemory_setexternal(void *memory, char *bytes, size_t len);
void lmemory_invalidate(void *memory);

/* Returns the bytes of the memory at idx and stores its length in *len, or
 * returns NULL (leaving *len alone) when the value is not a memory; raises
 * a Lua error for an invalidated external memory. An empty
 * memory gives a valid pointer and length 0. The pointer is valid until Lua
 * code runs that may resize the memory. */
const char *lmemory_tobuffer(lua_State *L, int idx, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* LUNATIK_MEMORY_H */
