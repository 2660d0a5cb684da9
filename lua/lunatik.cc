// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// The Lua module `lunatik`: sessions with the kernel module and handles of
// kernel states, in the style of Lua's liolib.c. Misuse (a wrong argument
// type, a closed handle) raises; a failure the kernel reports returns nil
// and a message.
//
// No C++ exception may cross into Lua, whose errors are longjmps: every
// function is wrapped by Guarded, which turns an exception into a Lua error
// once the C++ frames that threw are gone.

#include "uapi/linux/lunatik.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <exception>
#include <lua.hpp>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "lunatik/session.h"
#include "memory.h"

namespace {

constexpr const char kSessionType[] = "lunatik.session";
constexpr const char kStateType[] = "lunatik.state";

// A session handle. A null session means closed (or never opened).
struct SessionBox {
  lunatik::Session* session;
};

// A state handle: plain bytes, as Lua frees userdata without destructors.
// Its user value 1 is the session's userdata, which it keeps alive.
struct StateBox {
  bool closed;
  uint64_t maxalloc;
  char name[LUNATIK_STATENAME_MAXSIZE + 1];
};

template <lua_CFunction kFunction>
int Guarded(lua_State* L) {
  char message[256] = "not enough memory";
  try {
    return kFunction(L);
  } catch (const std::bad_alloc&) {
    // message already says it
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof(message), "%s", e.what());
  }
  return luaL_error(L, "%s", message);
}

int PushFailure(lua_State* L, const lunatik::Status& status) {
  lua_pushnil(L);
  lua_pushlstring(L, status.message().data(), status.message().size());
  return 2;
}

int PushChunkResult(lua_State* L, const lunatik::ChunkResult& result) {
  if (result.lua_error) {
    lua_pushnil(L);
    lua_pushlstring(L, result.error.data(), result.error.size());
    return 2;
  }
  // Returned rather than raised: a raise would skip the destructors of
  // the caller's C++ objects.
  if (result.values.size() >= INT_MAX ||
      !lua_checkstack(L, static_cast<int>(result.values.size()) + 1)) {
    lua_pushnil(L);
    lua_pushliteral(L, "too many results to return");
    return 2;
  }
  lua_pushboolean(L, 1);
  for (const lunatik::Value& value : result.values) {
    switch (value.type()) {
      case lunatik::Value::Type::kNil:
        lua_pushnil(L);
        break;
      case lunatik::Value::Type::kBoolean:
        lua_pushboolean(L, value.boolean());
        break;
      case lunatik::Value::Type::kInteger:
        lua_pushinteger(L, value.integer());
        break;
      case lunatik::Value::Type::kString:
        lua_pushlstring(L, value.string().data(), value.string().size());
        break;
    }
  }
  return static_cast<int>(result.values.size()) + 1;
}

// Sessions.

SessionBox* ToSessionBox(lua_State* L, int index) {
  return static_cast<SessionBox*>(luaL_checkudata(L, index, kSessionType));
}

lunatik::Session* CheckSession(lua_State* L, int index) {
  SessionBox* box = ToSessionBox(L, index);
  if (box->session == nullptr) luaL_error(L, "session is closed");
  return box->session;
}

int NewSession(lua_State* L) {
  // Created closed, so that a failure below leaves nothing to release.
  auto* box =
      static_cast<SessionBox*>(lua_newuserdatauv(L, sizeof(SessionBox), 0));
  box->session = nullptr;
  luaL_setmetatable(L, kSessionType);
  std::unique_ptr<lunatik::Session> session;
  lunatik::Status status = lunatik::Session::Open(&session);
  if (!status.ok()) return PushFailure(L, status);
  box->session = session.release();
  return 1;
}

void CloseSessionBox(SessionBox* box) {
  delete box->session;
  box->session = nullptr;
}

int SessionClose(lua_State* L) {
  CheckSession(L, 1);
  CloseSessionBox(ToSessionBox(L, 1));
  lua_pushboolean(L, 1);
  return 1;
}

int SessionGc(lua_State* L) {
  CloseSessionBox(ToSessionBox(L, 1));
  return 0;
}

int SessionToString(lua_State* L) {
  SessionBox* box = ToSessionBox(L, 1);
  if (box->session == nullptr) {
    lua_pushliteral(L, "lunatik.session (closed)");
  } else {
    lua_pushfstring(L, "lunatik.session (%p)", static_cast<void*>(box));
  }
  return 1;
}

int SessionGetFd(lua_State* L) {
  lua_pushinteger(L, CheckSession(L, 1)->fd());
  return 1;
}

// Pushes a closed state handle of the session at `session_index`.
StateBox* NewStateBox(lua_State* L, int session_index) {
  auto* box = static_cast<StateBox*>(lua_newuserdatauv(L, sizeof(StateBox), 1));
  box->closed = true;
  box->maxalloc = 0;
  box->name[0] = '\0';
  luaL_setmetatable(L, kStateType);
  lua_pushvalue(L, session_index);
  lua_setiuservalue(L, -2, 1);
  return box;
}

void OpenStateBox(StateBox* box, const lunatik::StateInfo& info) {
  std::snprintf(box->name, sizeof(box->name), "%s", info.name.c_str());
  box->maxalloc = info.maxalloc;
  box->closed = false;
}

int SessionNewState(lua_State* L) {
  lunatik::Session* session = CheckSession(L, 1);
  size_t namelen;
  const char* name = luaL_checklstring(L, 2, &namelen);
  std::optional<uint64_t> maxalloc;
  if (!lua_isnoneornil(L, 3)) {
    const lua_Integer requested = luaL_checkinteger(L, 3);
    if (requested < LUNATIK_MIN_MAXALLOC) {
      lua_pushnil(L);
      lua_pushfstring(L, "maxalloc %I is below the minimum of %d bytes",
                      static_cast<LUAI_UACINT>(requested),
                      LUNATIK_MIN_MAXALLOC);
      return 2;
    }
    maxalloc = static_cast<uint64_t>(requested);
  }
  StateBox* box = NewStateBox(L, 1);
  lunatik::StateInfo info;
  lunatik::Status status =
      session->NewState(std::string_view(name, namelen), maxalloc, &info);
  if (!status.ok()) return PushFailure(L, status);
  OpenStateBox(box, info);
  return 1;
}

int SessionGetState(lua_State* L) {
  lunatik::Session* session = CheckSession(L, 1);
  size_t namelen;
  const char* name = luaL_checklstring(L, 2, &namelen);
  StateBox* box = NewStateBox(L, 1);
  lunatik::StateInfo info;
  lunatik::Status status =
      session->GetState(std::string_view(name, namelen), &info);
  if (!status.ok()) return PushFailure(L, status);
  OpenStateBox(box, info);
  return 1;
}

int SessionList(lua_State* L) {
  lunatik::Session* session = CheckSession(L, 1);
  std::vector<lunatik::StateInfo> states;
  lunatik::Status status = session->List(&states);
  if (!status.ok()) return PushFailure(L, status);
  lua_createtable(L, static_cast<int>(states.size()), 0);
  lua_Integer index = 0;
  for (const lunatik::StateInfo& info : states) {
    lua_createtable(L, 0, 3);
    lua_pushlstring(L, info.name.data(), info.name.size());
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, static_cast<lua_Integer>(info.curralloc));
    lua_setfield(L, -2, "curralloc");
    lua_pushinteger(L, static_cast<lua_Integer>(info.maxalloc));
    lua_setfield(L, -2, "maxalloc");
    lua_rawseti(L, -2, ++index);
  }
  return 1;
}

// States.

StateBox* ToStateBox(lua_State* L, int index) {
  return static_cast<StateBox*>(luaL_checkudata(L, index, kStateType));
}

// Returns the open state at `index` and its open session in *session.
StateBox* CheckState(lua_State* L, int index, lunatik::Session** session) {
  StateBox* box = ToStateBox(L, index);
  if (box->closed) luaL_error(L, "state '%s' is closed", box->name);
  lua_getiuservalue(L, index, 1);
  auto* owner = static_cast<SessionBox*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (owner->session == nullptr) luaL_error(L, "session is closed");
  *session = owner->session;
  return box;
}

int StateDoString(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  size_t codelen;
  size_t codenamelen;
  const char* code = luaL_checklstring(L, 2, &codelen);
  const char* codename = luaL_optlstring(L, 3, "", &codenamelen);
  lunatik::ChunkResult result;
  lunatik::Status status =
      session->DoString(box->name, std::string_view(code, codelen),
                        std::string_view(codename, codenamelen), &result);
  if (!status.ok()) return PushFailure(L, status);
  return PushChunkResult(L, result);
}

int StateSend(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  size_t len;
  // The bytes stay put: no Lua code runs until the request is done.
  const char* data = lmemory_tobuffer(L, 2, &len);
  if (data == nullptr) {
    if (lua_type(L, 2) != LUA_TSTRING) {
      return luaL_typeerror(L, 2, "memory or string");
    }
    data = lua_tolstring(L, 2, &len);
  }
  lunatik::ChunkResult result;
  lunatik::Status status =
      session->Send(box->name, std::string_view(data, len), &result);
  if (!status.ok()) return PushFailure(L, status);
  if (result.lua_error) return PushChunkResult(L, result);
  lua_pushboolean(L, 1);
  return 1;
}

int StateReceive(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  const lua_Integer timeout = luaL_optinteger(L, 2, -1);
  const int timeout_ms =
      timeout < 0 ? -1
                  : static_cast<int>(timeout > INT_MAX ? INT_MAX : timeout);
  std::string data;
  lunatik::Status status = session->Receive(box->name, timeout_ms, &data);
  if (!status.ok()) return PushFailure(L, status);
  // Should this raise (out of memory), only `data` leaks: Lua's longjmp
  // skips its destructor.
  char* bytes = lmemory_newfixed(L, data.size());
  data.copy(bytes, data.size());
  return 1;
}

int StateClose(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  lunatik::Status status = session->DelState(box->name);
  if (!status.ok()) return PushFailure(L, status);
  box->closed = true;
  lua_pushboolean(L, 1);
  return 1;
}

int StateCancel(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  lunatik::Status status = session->Cancel(box->name);
  if (!status.ok()) return PushFailure(L, status);
  lua_pushboolean(L, 1);
  return 1;
}

// A to-be-closed state handle is closed on leaving its scope, destroying
// the kernel state as an explicit close() would; failures are ignored as
// there is no one to tell. Garbage collection never destroys it.
int StateCloseOnExit(lua_State* L) {
  StateBox* box = ToStateBox(L, 1);
  if (box->closed) return 0;
  lua_getiuservalue(L, 1, 1);
  auto* owner = static_cast<SessionBox*>(lua_touserdata(L, -1));
  if (owner->session != nullptr && owner->session->DelState(box->name).ok()) {
    box->closed = true;
  }
  return 0;
}

int StateGetName(lua_State* L) {
  lunatik::Session* session;
  lua_pushstring(L, CheckState(L, 1, &session)->name);
  return 1;
}

int StateGetMaxalloc(lua_State* L) {
  lunatik::Session* session;
  lua_pushinteger(
      L, static_cast<lua_Integer>(CheckState(L, 1, &session)->maxalloc));
  return 1;
}

// A peek: a plain GETSTATE would make this session the state's data
// receiver as a side effect.
int StateGetCurralloc(lua_State* L) {
  lunatik::Session* session;
  StateBox* box = CheckState(L, 1, &session);
  lunatik::StateInfo info;
  lunatik::Status status = session->PeekState(box->name, &info);
  if (!status.ok()) return PushFailure(L, status);
  lua_pushinteger(L, static_cast<lua_Integer>(info.curralloc));
  return 1;
}

int StateToString(lua_State* L) {
  StateBox* box = ToStateBox(L, 1);
  if (box->closed) {
    if (box->name[0] == '\0') {
      lua_pushliteral(L, "lunatik.state (closed)");
    } else {
      lua_pushfstring(L, "lunatik.state '%s' (closed)", box->name);
    }
  } else {
    lua_pushfstring(L, "lunatik.state '%s'", box->name);
  }
  return 1;
}

const luaL_Reg kSessionMethods[] = {
    {"newstate", Guarded<SessionNewState>},
    {"getstate", Guarded<SessionGetState>},
    {"list", Guarded<SessionList>},
    {"getfd", Guarded<SessionGetFd>},
    {"close", Guarded<SessionClose>},
    {nullptr, nullptr},
};

const luaL_Reg kSessionMetamethods[] = {
    {"__index", nullptr},  // filled with the methods
    {"__gc", Guarded<SessionGc>},
    {"__close", Guarded<SessionGc>},
    {"__tostring", Guarded<SessionToString>},
    {nullptr, nullptr},
};

const luaL_Reg kStateMethods[] = {
    {"dostring", Guarded<StateDoString>},
    {"send", Guarded<StateSend>},
    {"receive", Guarded<StateReceive>},
    {"close", Guarded<StateClose>},
    {"cancel", Guarded<StateCancel>},
    {"getname", Guarded<StateGetName>},
    {"getmaxalloc", Guarded<StateGetMaxalloc>},
    {"getcurralloc", Guarded<StateGetCurralloc>},
    {nullptr, nullptr},
};

const luaL_Reg kStateMetamethods[] = {
    {"__index", nullptr},  // filled with the methods
    {"__close", Guarded<StateCloseOnExit>},
    {"__tostring", Guarded<StateToString>},
    {nullptr, nullptr},
};

const luaL_Reg kFunctions[] = {
    {"session", Guarded<NewSession>},
    {nullptr, nullptr},
};

void CreateMetatable(lua_State* L, const char* name, const luaL_Reg* meta,
                     const luaL_Reg* methods) {
  luaL_newmetatable(L, name);  // also sets __name
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

// The running module's maxstates, or the protocol's default when the
// module cannot be asked (not loaded, or the caller lacks privilege).
lua_Integer RunningMaxStates() {
  std::unique_ptr<lunatik::Session> session;
  lunatik::Limits limits;
  if (lunatik::Session::Open(&session).ok() &&
      session->GetLimits(&limits).ok()) {
    return limits.maxstates;
  }
  return LUNATIK_DEFAULT_MAXSTATES;
}

int OpenLunatik(lua_State* L) {
  CreateMetatable(L, kSessionType, kSessionMetamethods, kSessionMethods);
  CreateMetatable(L, kStateType, kStateMetamethods, kStateMethods);
  luaL_newlib(L, kFunctions);
  lua_pushinteger(L, LUNATIK_DATA_MAXSIZE);
  lua_setfield(L, -2, "datamaxsize");
  lua_pushinteger(L, LUNATIK_DEFAULT_MAXALLOC);
  lua_setfield(L, -2, "defaultmaxallocbytes");
  lua_pushinteger(L, RunningMaxStates());
  lua_setfield(L, -2, "maxstates");
  lua_pushinteger(L, LUNATIK_SCRIPTNAME_MAXSIZE);
  lua_setfield(L, -2, "scriptnamemaxsize");
  lua_pushinteger(L, LUNATIK_STATENAME_MAXSIZE);
  lua_setfield(L, -2, "statenamemaxsize");
  return 1;
}

}  // namespace

extern "C" int luaopen_lunatik(lua_State* L) { return Guarded<OpenLunatik>(L); }
