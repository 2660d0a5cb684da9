// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// A Session is one connection to the lunatik kernel module: a generic
// netlink socket bound to the "lunatik" family. Every operation is a
// request and its reply; failures come back as a Status whose message
// names what was wrong ("state 'x' already exists").
//
// Data that kernel states send with netlink.send() arrives on the same
// socket, possibly between the replies to requests. The session keeps it
// in one queue per state, so receiving for one state never consumes data
// of another.
//
// A Session is not thread-safe: use one per thread, or lock around it.

#ifndef LUNATIK_INCLUDE_LUNATIK_SESSION_H_
#define LUNATIK_INCLUDE_LUNATIK_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lunatik/status.h"
#include "lunatik/value.h"

namespace lunatik {

// A kernel state as the kernel describes it.
struct StateInfo {
  std::string name;
  uint64_t maxalloc = 0;   // memory limit, bytes
  uint64_t curralloc = 0;  // memory in use when the kernel replied, bytes
};

// The running module's limits.
struct Limits {
  uint32_t maxstates = 0;         // states allowed per network namespace
  uint32_t nstates = 0;           // states in the caller's namespace now
  uint64_t default_maxalloc = 0;  // maxalloc of a state created without one
};

class Session {
 public:
  // Opens a session. On success stores it in *session. Fails with ENOENT
  // and "lunatik module not loaded" when the kernel has no lunatik family.
  static Status Open(std::unique_ptr<Session>* session);

  // Closes the socket. Kernel states stay alive.
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Returns the socket's file descriptor, readable when the kernel has
  // sent something; for poll() loops around Receive().
  int fd() const;

  // Asks the running module for its limits.
  Status GetLimits(Limits* limits);

  // Creates a kernel state called `name` with a memory limit of `maxalloc`
  // bytes (the module's default when absent) and stores its description in
  // *info. This session becomes the state's data receiver.
  Status NewState(std::string_view name, std::optional<uint64_t> maxalloc,
                  StateInfo* info);

  // Destroys the kernel state `name`. A chunk running in it is interrupted
  // (it ends with the Lua error "interrupted"), requests waiting for it
  // fail with ENOENT, and its finalizers run after this returns.
  Status DelState(std::string_view name);

  // Interrupts the chunk or callback running in state `name`: it ends with
  // the Lua error "interrupted", and the state stays usable. Requests that
  // wait for the state fail with ECANCELED. Succeeds when nothing runs.
  // Meant for another session than the one waiting for the chunk, e.g.
  // from a signal handler's thread.
  Status Cancel(std::string_view name);

  // Describes the kernel state `name` in *info. This session becomes the
  // state's data receiver.
  Status GetState(std::string_view name, StateInfo* info);

  // Describes the kernel state `name` in *info, as GetState does, but
  // leaves the state's data receiver as it is. One lookup, however many
  // states there are.
  Status PeekState(std::string_view name, StateInfo* info);

  // Stores every state of the caller's network namespace in *states.
  // Retries when the set of states changed during the listing.
  Status List(std::vector<StateInfo>* states);

  // Runs the text chunk `code` in state `name`, named `codename` in errors
  // and tracebacks (the module's default when empty). Chunks longer than
  // one message are sent in fragments. The Status says whether the request
  // succeeded; *result says what the Lua code did.
  Status DoString(std::string_view name, std::string_view code,
                  std::string_view codename, ChunkResult* result);

  // Calls receive_callback(data) in state `name`. *result says whether the
  // callback raised (or is missing).
  Status Send(std::string_view name, std::string_view data,
              ChunkResult* result);

  // Stores in *data the oldest data that state `name` sent to this session,
  // waiting for it up to `timeout_ms` milliseconds (forever when negative).
  // Fails with ETIMEDOUT and "timeout" when the time passes, and with
  // ENOENT when the state is destroyed while waiting.
  Status Receive(std::string_view name, int timeout_ms, std::string* data);

 private:
  struct Rep;
  explicit Session(std::unique_ptr<Rep> rep);

  std::unique_ptr<Rep> rep_;
};

}  // namespace lunatik

#endif  // LUNATIK_INCLUDE_LUNATIK_SESSION_H_
