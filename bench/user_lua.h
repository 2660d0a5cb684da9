// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// User-space Lua states opened like a kernel state (base, string, table,
// coroutine, utf8 and math), for comparing what a kernel state costs.

#ifndef LUNATIK_BENCH_USER_LUA_H_
#define LUNATIK_BENCH_USER_LUA_H_

#include <cstddef>

namespace lunatik::bench {

// Bytes that Lua's allocator holds for a new state with those libraries
// open, counted as Lua asks for them (the way the kernel counts curralloc).
size_t UserStateBytes();

// Opens such a state and closes it; for timing.
void OpenAndCloseUserState();

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_USER_LUA_H_
