#include "connection.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "uapi/linux/lunatik.h"

namespace lunatik_fuzz {

namespace {

// Errors include/uapi/linux/lunatik.h documents, plus those of the generic
// netlink core for unknown commands and policy ranges.
bool IsDocumentedErrno(int error) {
  switch (error) {
    case EINVAL:
    case ENOENT:
    case EEXIST:
    case ERANGE:
    case ENOSPC:
    case E2BIG:
    case EBUSY:
    case ECANCELED:
    case ENOBUFS:
    case EOPNOTSUPP:
      return true;
    default:
      return false;
  }
}

bool IsLunatikCommand(int cmd) {
  return (cmd >= LUNATIK_CMD_LIMITS && cmd <= LUNATIK_CMD_SEND) ||
         cmd == LUNATIK_CMD_CANCEL;
}

}  // namespace

void Context::Fail(const std::string& what, const std::string& request) {
  ++failures;
  const uint64_t seen = ++failure_counts[what];
  if (seen == 2) {
    std::fprintf(stderr, "FAIL: %s (again; further repeats are counted)\n",
                 what.c_str());
  }
  if (seen > 1) return;
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  if (!label.empty()) std::fprintf(stderr, "  while: %s\n", label.c_str());
  if (!request.empty()) {
    std::fprintf(stderr, "  request: %s\n", HexDump(request).c_str());
  }
}

void Context::Note(const std::string& key, const std::string& example) {
  auto [it, fresh] = notes.try_emplace(key, 0, example);
  ++it->second.first;
}

bool Connection::Validate(const Reply& reply, const std::string& request) {
  if (reply.type == context_->family && reply.is_unsolicited()) {
    if (reply.seq != 0 || reply.portid != 0) {
      context_->Fail(CommandName(reply.cmd) + " message with seq or portid set",
                     request);
      return false;
    }
    return true;
  }
  if (reply.portid != portid_) {
    context_->Fail("reply addressed to port " + std::to_string(reply.portid),
                   request);
    return false;
  }
  return true;
}

bool Connection::SendRaw(std::string bytes) {
  const auto sent = Confine(&bytes, context_->family, &context_->next_seq);
  ++context_->datagrams;
  context_->messages += sent.size();
  if (int err = socket_.Send(bytes)) {
    context_->Fail(std::string("send: ") + std::strerror(err), bytes);
    return false;
  }
  return true;
}

bool Connection::ReceiveOne(int timeout_ms, std::vector<Reply>* replies) {
  std::string datagram;
  int err = socket_.Receive(timeout_ms, &datagram);
  if (err == ETIMEDOUT) return false;
  if (err) {
    context_->Fail(std::string("receive: ") + std::strerror(err));
    return false;
  }
  Accept(datagram, replies);
  return true;
}

bool Connection::Accept(const std::string& datagram,
                        std::vector<Reply>* replies) {
  std::vector<Reply> parsed;
  bool ok = true;
  if (auto bad = ParseDatagram(datagram, context_->family, &parsed)) {
    context_->Fail("malformed reply: " + *bad +
                   "\n  reply: " + HexDump(datagram));
    ok = false;
  }
  for (Reply& reply : parsed) {
    ++context_->kinds[KindOf(reply)];
    if (!Validate(reply, "")) continue;
    if (reply.cmd == LUNATIK_CMD_DATA) {
      data_.push_back(reply);
    } else if (!reply.is_unsolicited()) {
      replies->push_back(std::move(reply));
    }
  }
  return ok;
}

Prepared Connection::Prepare(std::string bytes) {
  Prepared p;
  p.sent = Confine(&bytes, context_->family, &context_->next_seq);
  p.bytes = std::move(bytes);
  ++context_->datagrams;
  context_->messages += p.sent.size();
  return p;
}

int Connection::SendPrepared(const Prepared& prepared) {
  return socket_.Send(prepared.bytes);
}

Outcome Connection::Exchange(std::string bytes) {
  Prepared p = Prepare(std::move(bytes));
  return Finish(p, SendPrepared(p));
}

Outcome Connection::Finish(const Prepared& prepared, int send_errno) {
  Outcome out;
  out.sent = prepared.sent;
  const std::string& bytes = prepared.bytes;

  std::map<uint32_t, SentMessage> cmd_of;  // every seq an answer may carry
  std::set<uint32_t> pending;              // seqs still owed a final answer
  bool need_sync = false;
  for (const SentMessage& m : out.sent) {
    cmd_of[m.seq] = m;
    if (ExpectsTerminator(m, context_->family)) {
      pending.insert(m.seq);
    } else {
      need_sync = true;
    }
  }
  if (send_errno) {
    // sendmsg failed before the kernel parsed anything.
    out.send_errno = send_errno;
    ++context_->kinds[std::string("send failed ") + ErrnoName(send_errno)];
    return out;
  }
  uint32_t sync_seq = 0;
  if (need_sync) {
    Request limits;
    limits.nlmsg_type = context_->family;
    limits.cmd = LUNATIK_CMD_LIMITS;
    std::string sync = Serialize(limits);
    const SentMessage m =
        Confine(&sync, context_->family, &context_->next_seq)[0];
    sync_seq = m.seq;
    cmd_of[sync_seq] = m;
    pending.insert(sync_seq);
    ++context_->syncs;
    if (int err = socket_.Send(sync)) {
      context_->Fail(std::string("sending the sync request: ") +
                     std::strerror(err));
      return out;
    }
  }

  std::set<uint32_t> answered;
  std::vector<std::string> datagrams;
  size_t next = 0;
  // What was read past the last answer owed is checked as well.
  while (!pending.empty() || next < datagrams.size()) {
    if (next == datagrams.size()) {
      datagrams.clear();
      next = 0;
      int err = socket_.ReceiveMany(context_->timeout_ms, &datagrams);
      if (err == ETIMEDOUT) {
        context_->hung = true;
        context_->Fail("no answer within " +
                           std::to_string(context_->timeout_ms) + " ms (" +
                           std::to_string(pending.size()) + " owed)",
                       bytes);
        return out;
      }
      if (err) {
        context_->Fail(std::string("receive: ") + std::strerror(err), bytes);
        return out;
      }
      continue;
    }
    const std::string& datagram = datagrams[next++];
    std::vector<Reply> parsed;
    if (auto bad = ParseDatagram(datagram, context_->family, &parsed)) {
      // What the datagram answered is unknown: stop waiting for it.
      context_->Fail(
          "malformed reply: " + *bad + "\n  reply: " + HexDump(datagram),
          bytes);
      return out;
    }
    for (Reply& reply : parsed) {
      ++context_->kinds[KindOf(reply)];
      if (!Validate(reply, bytes)) continue;
      if (reply.cmd == LUNATIK_CMD_DATA) {
        data_.push_back(std::move(reply));
        continue;
      }
      if (reply.is_unsolicited()) continue;
      auto cmd = cmd_of.find(reply.seq);
      if (cmd == cmd_of.end()) {
        context_->Fail("answer with unknown seq " + std::to_string(reply.seq),
                       bytes);
        continue;
      }
      if (answered.contains(reply.seq)) {
        context_->Fail("message after the final answer to seq " +
                           std::to_string(reply.seq) + ": " + KindOf(reply),
                       bytes);
        continue;
      }
      if (reply.is_terminator()) {
        answered.insert(reply.seq);
        pending.erase(reply.seq);
      }
      if (reply.seq == sync_seq) {
        if (reply.type == NLMSG_ERROR && reply.error) {
          context_->Fail("the sync request failed: " + ErrnoName(reply.error));
        }
        continue;
      }
      if (reply.type == NLMSG_ERROR && reply.error &&
          IsLunatikCommand(cmd->second.cmd)) {
        const std::string what =
            CommandName(cmd->second.cmd) + " " + ErrnoName(reply.error);
        if (!IsDocumentedErrno(reply.error)) {
          context_->Note("undocumented errno: " + what, HexDump(bytes, 96));
        }
        // The netlink core refuses unknown operations and a second dump
        // on one socket without a message.
        const bool dump = (cmd->second.flags & NLM_F_DUMP) == NLM_F_DUMP;
        if (!reply.extack_message && reply.error != EOPNOTSUPP &&
            !(dump && reply.error == EBUSY)) {
          context_->Note("no extack message: " + what, HexDump(bytes, 96));
        }
      }
      out.replies.push_back(std::move(reply));
    }
  }
  out.complete = true;
  return out;
}

CallResult Connection::Call(const Request& request) {
  CallResult result;
  Outcome out = Exchange(Serialize(request));
  result.complete = out.complete;
  for (Reply& reply : out.replies) {
    if (reply.is_terminator()) {
      result.error = reply.error;
      result.extack_message = reply.extack_message;
    } else {
      result.messages.push_back(std::move(reply));
    }
  }
  return result;
}

}  // namespace lunatik_fuzz
