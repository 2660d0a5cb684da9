// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "lunatik/session.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <utility>

#include "client/checks.h"
#include "client/data_queues.h"
#include "client/errors.h"
#include "client/fragments.h"
#include "netlink/message.h"
#include "netlink/socket.h"
#include "uapi/linux/lunatik.h"

namespace lunatik {

namespace {

// A dump that raced with states coming and going is listed again, this
// many times at most.
constexpr int kListAttempts = 5;

// While waiting for data, how often Receive() looks the state up. The
// kernel's notice that a state is gone usually ends the wait at once, but
// it misses a receiver whose buffer was full, a session whose state
// another one took over, and a module unloaded before it could send one.
constexpr int kLivenessIntervalMs = 1000;

// Returns false when a reply lacks an attribute it must carry.
bool ReadStateInfo(const netlink::Reply& reply, StateInfo* info) {
  const nlattr* name = reply.attrs[LUNATIK_ATTR_STATENAME];
  const nlattr* maxalloc = reply.attrs[LUNATIK_ATTR_MAXALLOC];
  const nlattr* curralloc = reply.attrs[LUNATIK_ATTR_CURRALLOC];
  if (name == nullptr || maxalloc == nullptr || curralloc == nullptr) {
    return false;
  }
  info->name = netlink::AttrString(name);
  info->maxalloc = mnl_attr_get_u64(maxalloc);
  info->curralloc = mnl_attr_get_u64(curralloc);
  return true;
}

// Adds one message of the reply to LUNATIK_CMD_DOSTRING or
// LUNATIK_CMD_SEND to *result: a long reply comes in several, whose
// pieces follow each other (include/uapi/linux/lunatik.h, "Replies").
bool ReadChunkResult(const netlink::Reply& reply, ChunkResult* result) {
  result->output.append(reply.output);
  if (reply.attrs[LUNATIK_ATTR_OUTPUT_TRUNCATED] != nullptr) {
    result->output_truncated = true;
  }
  if (reply.attrs[LUNATIK_ATTR_ERROR] != nullptr) {
    result->lua_error = true;
    result->error.append(reply.error);
  }
  return std::ranges::all_of(reply.results, [&](const nlattr* results) {
    return netlink::ParseResults(results, &result->values);
  });
}

Status MalformedReply() {
  return Status::Error(EPROTO, "malformed reply from the lunatik module");
}

}  // namespace

struct Session::Rep {
  // Called for each reply to the request in flight; false means malformed.
  using ReplyHandler = std::function<bool(const nlmsghdr*)>;

  // The kernel's verdict on a request: errno 0 when it succeeded.
  struct Verdict {
    int error = 0;
    std::string extack;
    bool interrupted = false;  // a dump raced with a change
  };

  // Sends `request` and reads until its ack, error or end of dump, handing
  // every reply to `on_reply` and queueing data that arrives meanwhile.
  // Fails only when the transport fails or a reply is malformed.
  Status Exchange(netlink::Request* request, const ReplyHandler& on_reply,
                  Verdict* verdict);

  // Exchange, then a kernel error described in the context's words.
  Status Transact(const RequestContext& context, netlink::Request* request,
                  const ReplyHandler& on_reply, bool* interrupted = nullptr);

  // Transact with a handler that parses lunatik replies.
  Status TransactLunatik(
      const RequestContext& context, netlink::Request* request,
      const std::function<bool(const netlink::Reply&)>& on_reply,
      bool* interrupted = nullptr);

  // Queues a LUNATIK_CMD_DATA message and notes a LUNATIK_CMD_DELSTATE
  // notice; ignores anything else unasked for.
  void TakeUnsolicited(const nlmsghdr* nlh);

  // Reads one datagram (waiting up to timeout_ms) and queues its data.
  Status PumpData(int timeout_ms);

  netlink::Request NewRequest(uint8_t cmd, uint16_t flags) const {
    return netlink::Request(family, cmd, LUNATIK_GENL_VERSION, flags);
  }

  Status ListOnce(std::vector<StateInfo>* states, bool* interrupted);

  // LUNATIK_CMD_GETSTATE; with `peek`, the receiver stays as it was.
  Status LookUp(std::string_view name, bool peek, StateInfo* info);

  std::unique_ptr<netlink::Socket> socket;
  uint16_t family = 0;
  uint32_t last_seq = 0;
  DataQueues queues;
};

Status Session::Rep::Exchange(netlink::Request* request,
                              const ReplyHandler& on_reply, Verdict* verdict) {
  *verdict = Verdict();
  // Sequence 0 marks the kernel's unsolicited data, so requests skip it.
  if (++last_seq == 0) ++last_seq;
  const uint32_t seq = last_seq;
  request->SetSequence(seq);
  Status status = socket->Send(request->bytes());
  if (!status.ok()) return status;

  bool malformed = false;
  for (;;) {
    std::string_view datagram;
    status = socket->Receive(-1, &datagram);
    if (!status.ok()) return status;
    int remaining = static_cast<int>(datagram.size());
    for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data());
         mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
      if (nlh->nlmsg_seq != seq) {
        // Either kernel data or a late reply to a request given up on.
        if (nlh->nlmsg_seq == 0) TakeUnsolicited(nlh);
        continue;
      }
      if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
        netlink::Ack ack;
        if (!netlink::ParseAck(nlh, &ack)) return MalformedReply();
        verdict->error = ack.error;
        verdict->extack = std::move(ack.message);
        return malformed ? MalformedReply() : Status::OK();
      }
      if (nlh->nlmsg_type < NLMSG_MIN_TYPE) continue;
      if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) verdict->interrupted = true;
      // Keep reading to the ack so that no reply is left behind.
      if (!on_reply(nlh)) malformed = true;
    }
  }
}

Status Session::Rep::Transact(const RequestContext& context,
                              netlink::Request* request,
                              const ReplyHandler& on_reply, bool* interrupted) {
  Verdict verdict;
  Status status = Exchange(request, on_reply, &verdict);
  if (!status.ok()) return status;
  if (interrupted != nullptr) *interrupted = verdict.interrupted;
  if (verdict.error == 0) return Status::OK();
  RequestContext described = context;
  if (verdict.error == ENOSPC) {
    // The message names the limit in force, which only the module knows.
    Limits limits;
    netlink::Request ask = NewRequest(LUNATIK_CMD_LIMITS, NLM_F_ACK);
    Verdict limits_verdict;
    if (Exchange(
            &ask,
            [&](const nlmsghdr* nlh) {
              netlink::Reply reply;
              if (!netlink::ParseReply(nlh, &reply)) return false;
              if (const nlattr* max = reply.attrs[LUNATIK_ATTR_MAXSTATES]) {
                limits.maxstates = mnl_attr_get_u32(max);
              }
              return true;
            },
            &limits_verdict)
            .ok() &&
        limits_verdict.error == 0) {
      described.maxstates = limits.maxstates;
    }
  }
  return DescribeKernelError(described, verdict.error, verdict.extack);
}

Status Session::Rep::TransactLunatik(
    const RequestContext& context, netlink::Request* request,
    const std::function<bool(const netlink::Reply&)>& on_reply,
    bool* interrupted) {
  return Transact(
      context, request,
      [&](const nlmsghdr* nlh) {
        if (nlh->nlmsg_type != family) return true;
        netlink::Reply reply;
        return netlink::ParseReply(nlh, &reply) && on_reply(reply);
      },
      interrupted);
}

void Session::Rep::TakeUnsolicited(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != family) return;
  netlink::Reply reply;
  if (!netlink::ParseReply(nlh, &reply)) return;
  const nlattr* state = reply.attrs[LUNATIK_ATTR_STATENAME];
  if (state == nullptr) return;
  if (reply.cmd == LUNATIK_CMD_DELSTATE) {
    queues.MarkGone(netlink::AttrString(state));
  } else if (reply.cmd == LUNATIK_CMD_DATA &&
             reply.attrs[LUNATIK_ATTR_DATA] != nullptr) {
    queues.Push(netlink::AttrString(state), std::move(reply.data));
  }
}

Status Session::Rep::PumpData(int timeout_ms) {
  std::string_view datagram;
  Status status = socket->Receive(timeout_ms, &datagram);
  if (!status.ok()) return status;
  int remaining = static_cast<int>(datagram.size());
  for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data());
       mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
    // No request is in flight: anything with a sequence number is stale.
    if (nlh->nlmsg_seq == 0) TakeUnsolicited(nlh);
  }
  return Status::OK();
}

Status Session::Rep::ListOnce(std::vector<StateInfo>* states,
                              bool* interrupted) {
  states->clear();
  netlink::Request request = NewRequest(LUNATIK_CMD_GETSTATE, NLM_F_DUMP);
  RequestContext context(LUNATIK_CMD_GETSTATE);
  return TransactLunatik(
      context, &request,
      [&](const netlink::Reply& reply) {
        StateInfo info;
        if (!ReadStateInfo(reply, &info)) return false;
        states->push_back(std::move(info));
        return true;
      },
      interrupted);
}

Session::Session(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Session::~Session() = default;

Status Session::Open(std::unique_ptr<Session>* session) {
  auto rep = std::make_unique<Rep>();
  Status status = netlink::Socket::Open(&rep->socket);
  if (!status.ok()) return status;

  netlink::Request request = netlink::FamilyRequest(LUNATIK_GENL_NAME);
  Rep::Verdict verdict;
  uint16_t family = 0;
  status = rep->Exchange(
      &request,
      [&](const nlmsghdr* nlh) {
        return nlh->nlmsg_type != GENL_ID_CTRL ||
               netlink::ParseFamilyId(nlh, &family);
      },
      &verdict);
  if (!status.ok()) return status;
  if (verdict.error == ENOENT) {
    return Status::Error(ENOENT, "lunatik module not loaded");
  }
  if (verdict.error != 0) {
    return DescribeKernelError(RequestContext(CTRL_CMD_GETFAMILY),
                               verdict.error, verdict.extack);
  }
  if (family == 0) return MalformedReply();
  rep->family = family;
  session->reset(new Session(std::move(rep)));
  return Status::OK();
}

int Session::fd() const { return rep_->socket->fd(); }

Status Session::GetLimits(Limits* limits) {
  netlink::Request request = rep_->NewRequest(LUNATIK_CMD_LIMITS, NLM_F_ACK);
  bool complete = false;
  Status status = rep_->TransactLunatik(
      RequestContext(LUNATIK_CMD_LIMITS), &request,
      [&](const netlink::Reply& reply) {
        const nlattr* max = reply.attrs[LUNATIK_ATTR_MAXSTATES];
        const nlattr* count = reply.attrs[LUNATIK_ATTR_NSTATES];
        const nlattr* def = reply.attrs[LUNATIK_ATTR_DEFAULT_MAXALLOC];
        if (max == nullptr || count == nullptr || def == nullptr) return false;
        limits->maxstates = mnl_attr_get_u32(max);
        limits->nstates = mnl_attr_get_u32(count);
        limits->default_maxalloc = mnl_attr_get_u64(def);
        complete = true;
        return true;
      });
  if (status.ok() && !complete) return MalformedReply();
  return status;
}

Status Session::NewState(std::string_view name,
                         std::optional<uint64_t> maxalloc, StateInfo* info) {
  Status status = CheckStateName(name);
  if (status.ok() && maxalloc) status = CheckMaxalloc(*maxalloc);
  if (!status.ok()) return status;

  netlink::Request request = rep_->NewRequest(LUNATIK_CMD_NEWSTATE, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, name);
  if (maxalloc) request.PutU64(LUNATIK_ATTR_MAXALLOC, *maxalloc);
  bool complete = false;
  RequestContext context(LUNATIK_CMD_NEWSTATE, name);
  context.maxalloc = maxalloc;
  status = rep_->TransactLunatik(context, &request,
                                 [&](const netlink::Reply& reply) {
                                   complete = ReadStateInfo(reply, info);
                                   return complete;
                                 });
  if (status.ok() && !complete) return MalformedReply();
  // Data of an earlier state of this name must not reach the new one.
  if (status.ok()) rep_->queues.Drop(name);
  return status;
}

Status Session::DelState(std::string_view name) {
  Status status = CheckStateName(name);
  if (!status.ok()) return status;
  netlink::Request request = rep_->NewRequest(LUNATIK_CMD_DELSTATE, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, name);
  status = rep_->TransactLunatik(RequestContext(LUNATIK_CMD_DELSTATE, name),
                                 &request,
                                 [](const netlink::Reply&) { return true; });
  if (status.ok()) rep_->queues.Drop(name);
  return status;
}

Status Session::Cancel(std::string_view name) {
  Status status = CheckStateName(name);
  if (!status.ok()) return status;
  netlink::Request request = rep_->NewRequest(LUNATIK_CMD_CANCEL, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, name);
  return rep_->TransactLunatik(RequestContext(LUNATIK_CMD_CANCEL, name),
                               &request,
                               [](const netlink::Reply&) { return true; });
}

Status Session::Rep::LookUp(std::string_view name, bool peek, StateInfo* info) {
  Status status = CheckStateName(name);
  if (!status.ok()) return status;
  netlink::Request request = NewRequest(LUNATIK_CMD_GETSTATE, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, name);
  if (peek) request.PutBinary(LUNATIK_ATTR_PEEK, {});
  bool complete = false;
  status = TransactLunatik(RequestContext(LUNATIK_CMD_GETSTATE, name), &request,
                           [&](const netlink::Reply& reply) {
                             complete = ReadStateInfo(reply, info);
                             return complete;
                           });
  if (status.ok() && !complete) return MalformedReply();
  return status;
}

Status Session::GetState(std::string_view name, StateInfo* info) {
  return rep_->LookUp(name, false, info);
}

Status Session::PeekState(std::string_view name, StateInfo* info) {
  return rep_->LookUp(name, true, info);
}

Status Session::List(std::vector<StateInfo>* states) {
  for (int attempt = 0; attempt < kListAttempts; ++attempt) {
    bool interrupted = false;
    Status status = rep_->ListOnce(states, &interrupted);
    if (!status.ok() || !interrupted) return status;
  }
  states->clear();
  return Status::Error(EAGAIN,
                       "the set of states kept changing while listing it; "
                       "try again");
}

Status Session::DoString(std::string_view name, std::string_view code,
                         std::string_view codename, ChunkResult* result) {
  Status status = CheckStateName(name);
  if (status.ok()) status = CheckCodeName(codename);
  if (status.ok()) status = CheckCode(code);
  if (!status.ok()) return status;
  // The protocol carries 1 byte of code at least; a blank line is the
  // same empty chunk to Lua.
  if (code.empty()) code = "\n";

  const RequestContext context(LUNATIK_CMD_DOSTRING, name);
  const bool fragmented = code.size() > LUNATIK_FRAGMENT_MAXSIZE;
  const std::vector<Fragment> fragments =
      SplitChunk(code.size(), LUNATIK_FRAGMENT_MAXSIZE);
  for (const Fragment& fragment : fragments) {
    netlink::Request request =
        rep_->NewRequest(LUNATIK_CMD_DOSTRING, NLM_F_ACK);
    request.PutString(LUNATIK_ATTR_STATENAME, name);
    request.PutBinary(LUNATIK_ATTR_CODE,
                      code.substr(fragment.offset, fragment.length));
    if (!codename.empty()) {
      request.PutString(LUNATIK_ATTR_CODENAME, codename);
    }
    if (fragmented) {
      request.PutU32(LUNATIK_ATTR_CODE_TOTAL,
                     static_cast<uint32_t>(code.size()));
      request.PutU32(LUNATIK_ATTR_CODE_OFFSET, fragment.offset);
    }
    *result = ChunkResult();
    status = rep_->TransactLunatik(context, &request,
                                   [&](const netlink::Reply& reply) {
                                     return ReadChunkResult(reply, result);
                                   });
    if (!status.ok()) return status;
  }
  return Status::OK();
}

Status Session::Send(std::string_view name, std::string_view data,
                     ChunkResult* result) {
  Status status = CheckStateName(name);
  if (status.ok()) status = CheckData(data);
  if (!status.ok()) return status;
  netlink::Request request = rep_->NewRequest(LUNATIK_CMD_SEND, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, name);
  request.PutChunked(LUNATIK_ATTR_DATA, data, LUNATIK_DATA_CHUNK_MAXSIZE);
  *result = ChunkResult();
  return rep_->TransactLunatik(RequestContext(LUNATIK_CMD_SEND, name), &request,
                               [&](const netlink::Reply& reply) {
                                 return ReadChunkResult(reply, result);
                               });
}

Status Session::Receive(std::string_view name, int timeout_ms,
                        std::string* data) {
  Status status = CheckStateName(name);
  if (!status.ok()) return status;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::milliseconds(std::max(timeout_ms, 0));
  Clock::time_point next_check = start;
  for (;;) {
    if (rep_->queues.Pop(name, data)) return Status::OK();
    if (rep_->queues.TakeGone(name)) {
      return Status::Error(ENOENT, "state " + Quote(name) + " not found");
    }
    const Clock::time_point now = Clock::now();
    // Once the time is up, what already waits on the socket is still read
    // (without waiting), so that a poll() loop around Receive(name, 0)
    // gets the data that made the descriptor readable.
    const bool expired = timeout_ms >= 0 && now >= deadline;
    if (!expired && now >= next_check) {
      // Data that a state sent before it was destroyed still counts, so
      // only a state gone with nothing queued ends the wait.
      StateInfo info;
      status = PeekState(name, &info);
      if (status.code() == ENOENT) {
        if (rep_->queues.Count(name) == 0) return status;
      } else if (!status.ok()) {
        return status;
      }
      next_check =
          Clock::now() + std::chrono::milliseconds(kLivenessIntervalMs);
      continue;
    }
    int wait_ms = 0;
    if (!expired) {
      Clock::time_point wake = next_check;
      if (timeout_ms >= 0) wake = std::min(wake, deadline);
      wait_ms =
          static_cast<int>(
              std::chrono::duration_cast<std::chrono::milliseconds>(wake - now)
                  .count()) +
          1;
    }
    status = rep_->PumpData(wait_ms);
    if (status.code() == ETIMEDOUT) {
      if (expired) return Status::Error(ETIMEDOUT, "timeout");
    } else if (!status.ok()) {
      return status;
    }
  }
}

}  // namespace lunatik
