// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "user_lua.h"

#include <cstdio>
#include <cstdlib>
#include <lua.hpp>

namespace lunatik::bench {

namespace {

// lua_Alloc that keeps count of the bytes it hands out.
void* CountingAlloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* in_use = static_cast<size_t*>(ud);
  // Without a block, osize is a type tag, not a size.
  const size_t old_size = ptr == nullptr ? 0 : osize;
  if (nsize == 0) {
    std::free(ptr);
    *in_use -= old_size;
    return nullptr;
  }
  void* block = std::realloc(ptr, nsize);
  if (block != nullptr) *in_use += nsize - old_size;
  return block;
}

lua_State* OpenState(size_t* in_use) {
  lua_State* L = lua_newstate(CountingAlloc, in_use);
  if (L == nullptr) {
    std::fprintf(stderr, "lunatik-bench: cannot create a Lua state\n");
    std::exit(1);
  }
  static const luaL_Reg kLibraries[] = {
      {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
      {LUA_TABLIBNAME, luaopen_table}, {LUA_COLIBNAME, luaopen_coroutine},
      {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_MATHLIBNAME, luaopen_math},
  };
  for (const luaL_Reg& library : kLibraries) {
    luaL_requiref(L, library.name, library.func, 1);
    lua_pop(L, 1);
  }
  return L;
}

}  // namespace

size_t UserStateBytes() {
  size_t in_use = 0;
  lua_State* L = OpenState(&in_use);
  const size_t bytes = in_use;
  lua_close(L);
  return bytes;
}

void OpenAndCloseUserState() {
  size_t in_use = 0;
  lua_close(OpenState(&in_use));
}

}  // namespace lunatik::bench
