#include "replies.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>

#include "uapi/linux/lunatik.h"

namespace lunatik_fuzz {

namespace {

using Error = std::optional<std::string>;

template <typename T>
T Load(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(value));
  return value;
}

// Calls @visit(type, payload) for each attribute in [begin, end), which
// must hold whole attributes and nothing else.
template <typename Visit>
Error ForEachAttr(const std::string& bytes, size_t begin, size_t end,
                  Visit visit) {
  size_t at = begin;
  while (at < end) {
    if (end - at < NLA_HDRLEN) return "trailing bytes after the attributes";
    const auto len = Load<uint16_t>(bytes, at);
    const auto type = Load<uint16_t>(bytes, at + 2);
    if (len < NLA_HDRLEN || len > end - at) {
      return "attribute length " + std::to_string(len) + " out of bounds";
    }
    if (Error e = visit(type, bytes.substr(at + NLA_HDRLEN, len - NLA_HDRLEN)))
      return e;
    at += NLA_ALIGN(len);
  }
  return std::nullopt;
}

bool IsCString(const std::string& s, size_t max_len) {
  return !s.empty() && s.back() == '\0' && s.find('\0') == s.size() - 1 &&
         s.size() - 1 <= max_len;
}

Error ParseResults(const std::string& nest, std::vector<Value>* values) {
  if (nest.size() > LUNATIK_REPLY_PART_MAXSIZE) return "results over the limit";
  return ForEachAttr(nest, 0, nest.size(),
                     [&](uint16_t type, const std::string& p) -> Error {
                       Value v{type, 0, {}};
                       switch (type) {
                         case LUNATIK_VALUE_NIL:
                           if (!p.empty()) return "nil value with payload";
                           break;
                         case LUNATIK_VALUE_BOOLEAN:
                           if (p.size() != 1 || (p[0] != 0 && p[0] != 1))
                             return "malformed boolean value";
                           v.integer = static_cast<unsigned char>(p[0]);
                           break;
                         case LUNATIK_VALUE_INTEGER:
                           if (p.size() != 8)
                             return "integer value not 8 bytes";
                           v.integer = Load<int64_t>(p, 0);
                           break;
                         case LUNATIK_VALUE_STRING:
                           v.text = p;
                           break;
                         case LUNATIK_VALUE_STRING_CONT:
                           if (p.empty()) return "empty string continuation";
                           if (values->empty()) {
                             v.text = p;
                             break;
                           }
                           if (values->back().kind != LUNATIK_VALUE_STRING)
                             return "continuation of a value not a string";
                           values->back().text += p;
                           return std::nullopt;
                         default:
                           return "unknown value type " + std::to_string(type);
                       }
                       values->push_back(std::move(v));
                       return std::nullopt;
                     });
}

// How an attribute of a kernel message is laid out, as lunatik.h says.
enum class Shape {
  kName,         // NUL-terminated state name, 1 to LUNATIK_STATENAME_MAXSIZE
  kErrorPiece,   // NUL-terminated piece of a Lua error; pieces concatenate
  kOutputPiece,  // bytes of print output, before the outcome; may repeat
  kOutputCut,    // flag: the output was cut
  kU32,
  kU64,
  kResults,  // NLA_F_NESTED nest of LUNATIK_VALUE_* attributes
  kData,     // bytes, up to LUNATIK_DATA_CHUNK_MAXSIZE; may repeat
  kPad,      // alignment, ignored
};

struct AttrRule {
  uint16_t type;
  Shape shape;
  // Where the value goes: the member that fits the shape.
  std::optional<std::string> Reply::*text = nullptr;
  std::optional<uint32_t> Reply::*u32 = nullptr;
  std::optional<uint64_t> Reply::*u64 = nullptr;
};

// Every attribute the kernel may send. A newly documented attribute is
// one row here (and a member of Reply); any other type is malformed.
const AttrRule kAttrRules[] = {
    {.type = LUNATIK_ATTR_STATENAME,
     .shape = Shape::kName,
     .text = &Reply::state_name},
    {.type = LUNATIK_ATTR_MAXALLOC,
     .shape = Shape::kU64,
     .u64 = &Reply::maxalloc},
    {.type = LUNATIK_ATTR_CURRALLOC,
     .shape = Shape::kU64,
     .u64 = &Reply::curralloc},
    {.type = LUNATIK_ATTR_DEFAULT_MAXALLOC,
     .shape = Shape::kU64,
     .u64 = &Reply::default_maxalloc},
    {.type = LUNATIK_ATTR_MAXSTATES,
     .shape = Shape::kU32,
     .u32 = &Reply::maxstates},
    {.type = LUNATIK_ATTR_NSTATES,
     .shape = Shape::kU32,
     .u32 = &Reply::nstates},
    {.type = LUNATIK_ATTR_RESULTS, .shape = Shape::kResults},
    {.type = LUNATIK_ATTR_ERROR, .shape = Shape::kErrorPiece},
    {.type = LUNATIK_ATTR_OUTPUT, .shape = Shape::kOutputPiece},
    {.type = LUNATIK_ATTR_OUTPUT_TRUNCATED, .shape = Shape::kOutputCut},
    {.type = LUNATIK_ATTR_DATA, .shape = Shape::kData},
    {.type = LUNATIK_ATTR_PAD, .shape = Shape::kPad},
};

Error ParseFamilyAttr(uint16_t raw_type, const std::string& p, Reply* r) {
  const uint16_t type = raw_type & NLA_TYPE_MASK;
  const AttrRule* rule = nullptr;
  for (const AttrRule& candidate : kAttrRules) {
    if (candidate.type == type) rule = &candidate;
  }
  if (!rule)
    return "attribute " + std::to_string(type) + " in a kernel message";
  auto need = [&](size_t size) -> Error {
    if (p.size() != size) {
      return "attribute " + std::to_string(type) + " is " +
             std::to_string(p.size()) + " bytes, not " + std::to_string(size);
    }
    return std::nullopt;
  };
  if ((rule->shape == Shape::kResults) != ((raw_type & NLA_F_NESTED) != 0)) {
    return rule->shape == Shape::kResults ? "results without NLA_F_NESTED"
                                          : "NLA_F_NESTED on a flat attribute";
  }
  switch (rule->shape) {
    case Shape::kName:
      if (!IsCString(p, LUNATIK_STATENAME_MAXSIZE) || p.size() < 2)
        return "malformed state name";
      r->*rule->text = p.substr(0, p.size() - 1);
      return std::nullopt;
    case Shape::kU32:
      if (Error e = need(4)) return e;
      r->*rule->u32 = Load<uint32_t>(p, 0);
      return std::nullopt;
    case Shape::kU64:
      if (Error e = need(8)) return e;
      r->*rule->u64 = Load<uint64_t>(p, 0);
      return std::nullopt;
    case Shape::kResults:
      if (r->results || r->lua_error) return "second outcome in a message";
      r->results.emplace();
      return ParseResults(p, &*r->results);
    case Shape::kErrorPiece:
      if (!IsCString(p, LUNATIK_REPLY_PART_MAXSIZE))
        return "malformed Lua error";
      if (r->results) return "Lua error after results";
      if (!r->lua_error) r->lua_error.emplace();
      *r->lua_error += p.substr(0, p.size() - 1);
      return std::nullopt;
    case Shape::kOutputPiece:
      if (p.empty()) return "empty output piece";
      if (r->output_truncated || r->results || r->lua_error)
        return "output after its flag or the outcome";
      if (!r->output) r->output.emplace();
      *r->output += p;
      return std::nullopt;
    case Shape::kOutputCut:
      if (Error e = need(0)) return e;
      if (r->output_truncated || r->results || r->lua_error)
        return "output flag repeated or after the outcome";
      r->output_truncated = true;
      return std::nullopt;
    case Shape::kData:
      if (p.size() > LUNATIK_DATA_CHUNK_MAXSIZE) return "data chunk too large";
      r->data.push_back(p);
      return std::nullopt;
    case Shape::kPad:
      return std::nullopt;
  }
  return std::nullopt;
}

// Checks that a family message carries what its command's reply must.
Error CheckFamilyMessage(const Reply& r) {
  switch (r.cmd) {
    case LUNATIK_CMD_LIMITS:
      if (!r.maxstates || !r.nstates || !r.default_maxalloc)
        return "LIMITS reply lacks an attribute";
      break;
    case LUNATIK_CMD_NEWSTATE:
    case LUNATIK_CMD_GETSTATE:
      if (!r.state_name || !r.maxalloc || !r.curralloc)
        return "state reply lacks an attribute";
      if (*r.maxalloc < LUNATIK_MIN_MAXALLOC ||
          *r.maxalloc > LUNATIK_MAX_MAXALLOC)
        return "state reply with maxalloc out of range";
      break;
    case LUNATIK_CMD_DOSTRING:
      // One part of a reply in several may hold output only.
      if (r.results && r.lua_error)
        return "DOSTRING reply with both results and error";
      if (!(r.flags & NLM_F_MULTI) && !r.results && !r.lua_error && !r.output &&
          !r.output_truncated)
        return "DOSTRING reply with neither output nor outcome";
      if (r.results && !r.results->empty() &&
          r.results->front().kind == LUNATIK_VALUE_STRING_CONT &&
          !(r.flags & NLM_F_MULTI))
        return "string continuation in a reply of one message";
      break;
    case LUNATIK_CMD_SEND:
      if (r.results) return "SEND reply with results";
      if (!(r.flags & NLM_F_MULTI) && !r.lua_error && !r.output &&
          !r.output_truncated)
        return "SEND reply with neither output nor a Lua error";
      break;
    case LUNATIK_CMD_DATA:
      if (!r.state_name || r.data.empty()) return "DATA lacks name or data";
      break;
    case LUNATIK_CMD_DELSTATE:  // the notice that a state is gone
      if (!r.state_name || r.maxalloc || r.curralloc || r.results ||
          r.lua_error)
        return "DELSTATE notice with other than the state name";
      break;
    default:
      return "message of command " + std::to_string(r.cmd);
  }
  if (r.cmd != LUNATIK_CMD_DATA && !r.data.empty())
    return "data in a reply to a request";
  return std::nullopt;
}

Error ParseError(const std::string& m, Reply* r) {
  const size_t body = NLMSG_HDRLEN;
  if (m.size() < body + sizeof(nlmsgerr)) return "short NLMSG_ERROR";
  const auto err = Load<nlmsgerr>(m, body);
  if (err.error > 0 || err.error < -4095) {
    return "NLMSG_ERROR with error " + std::to_string(err.error);
  }
  r->error = -err.error;
  if (err.msg.nlmsg_seq != r->seq) return "NLMSG_ERROR echoes another seq";
  size_t tlvs = body + sizeof(nlmsgerr);
  if (!(r->flags & NLM_F_CAPPED)) {
    if (err.msg.nlmsg_len < NLMSG_HDRLEN) return "echoed request too short";
    tlvs += NLMSG_ALIGN(err.msg.nlmsg_len - NLMSG_HDRLEN);
  }
  if (tlvs > m.size()) return "echoed request past the message";
  if (!(r->flags & NLM_F_ACK_TLVS)) {
    if (tlvs != m.size()) return "bytes after NLMSG_ERROR without TLV flag";
    return std::nullopt;
  }
  return ForEachAttr(
      m, tlvs, m.size(), [&](uint16_t type, const std::string& p) -> Error {
        type &= NLA_TYPE_MASK;  // NLMSGERR_ATTR_POLICY is a nest
        if (type == NLMSGERR_ATTR_MSG) {
          if (!IsCString(p, 4096)) return "malformed extack message";
          r->extack_message = p.substr(0, p.size() - 1);
        } else if (type == NLMSGERR_ATTR_OFFS) {
          if (p.size() != 4) return "malformed extack offset";
          r->extack_offset = Load<uint32_t>(p, 0);
          if (*r->extack_offset >= err.msg.nlmsg_len)
            return "extack offset past the request";
        } else if (type > NLMSGERR_ATTR_MAX) {
          return "unknown extack attribute " + std::to_string(type);
        }
        return std::nullopt;
      });
}

Error ParseMessage(const std::string& m, uint16_t family, Reply* r) {
  const auto header = Load<nlmsghdr>(m, 0);
  r->type = header.nlmsg_type;
  r->flags = header.nlmsg_flags;
  r->seq = header.nlmsg_seq;
  r->portid = header.nlmsg_pid;
  if (r->type == NLMSG_ERROR) return ParseError(m, r);
  if (r->type == NLMSG_DONE) {
    if (m.size() < NLMSG_HDRLEN + sizeof(int)) return "short NLMSG_DONE";
    const int status = Load<int>(m, NLMSG_HDRLEN);
    if (status > 0 || status < -4095) return "NLMSG_DONE with bad status";
    r->error = -status;
    return std::nullopt;
  }
  if (r->type != family) {
    return "message of type " + std::to_string(r->type);
  }
  if (m.size() < NLMSG_HDRLEN + GENL_HDRLEN) return "no genl header";
  const auto genl = Load<genlmsghdr>(m, NLMSG_HDRLEN);
  if (genl.version != LUNATIK_GENL_VERSION) return "wrong genl version";
  r->cmd = genl.cmd;
  if ((r->cmd == LUNATIK_CMD_DOSTRING || r->cmd == LUNATIK_CMD_SEND) &&
      m.size() - NLMSG_HDRLEN - GENL_HDRLEN > LUNATIK_REPLY_PART_MAXSIZE)
    return "reply message over LUNATIK_REPLY_PART_MAXSIZE";
  if (Error e = ForEachAttr(m, NLMSG_HDRLEN + GENL_HDRLEN, m.size(),
                            [&](uint16_t type, const std::string& p) {
                              return ParseFamilyAttr(type, p, r);
                            }))
    return e;
  return CheckFamilyMessage(*r);
}

}  // namespace

bool Reply::is_terminator() const {
  return type == NLMSG_ERROR || type == NLMSG_DONE;
}

bool Reply::is_unsolicited() const {
  return cmd == LUNATIK_CMD_DATA || cmd == LUNATIK_CMD_DELSTATE;
}

std::optional<std::string> ParseDatagram(const std::string& datagram,
                                         uint16_t family,
                                         std::vector<Reply>* replies) {
  size_t at = 0;
  while (at < datagram.size()) {
    if (datagram.size() - at < NLMSG_HDRLEN) return "trailing bytes";
    const auto len = Load<uint32_t>(datagram, at);
    if (len < NLMSG_HDRLEN || len > datagram.size() - at) {
      return "message length " + std::to_string(len) + " out of bounds";
    }
    Reply reply;
    if (Error e = ParseMessage(datagram.substr(at, len), family, &reply))
      return e;
    replies->push_back(std::move(reply));
    at += NLMSG_ALIGN(len);
  }
  return std::nullopt;
}

std::string CommandName(int cmd) {
  switch (cmd) {
    case LUNATIK_CMD_UNSPEC:
      return "UNSPEC";
    case LUNATIK_CMD_LIMITS:
      return "LIMITS";
    case LUNATIK_CMD_NEWSTATE:
      return "NEWSTATE";
    case LUNATIK_CMD_DELSTATE:
      return "DELSTATE";
    case LUNATIK_CMD_GETSTATE:
      return "GETSTATE";
    case LUNATIK_CMD_DOSTRING:
      return "DOSTRING";
    case LUNATIK_CMD_SEND:
      return "SEND";
    case LUNATIK_CMD_DATA:
      return "DATA";
    case LUNATIK_CMD_CANCEL:
      return "CANCEL";
    case -1:
      return "(no genl header)";
    default:
      return "cmd" + std::to_string(cmd);
  }
}

std::string ErrnoName(int error) {
  const char* name = strerrorname_np(error);
  return name ? name : "errno" + std::to_string(error);
}

std::string KindOf(const Reply& reply) {
  if (reply.type == NLMSG_DONE) return "done";
  if (reply.type == NLMSG_ERROR) {
    return reply.error ? "error " + ErrnoName(reply.error) : "ack";
  }
  if (reply.cmd == LUNATIK_CMD_DATA) return "data";
  if (reply.cmd == LUNATIK_CMD_DELSTATE) return "notice DELSTATE";
  if ((reply.flags & NLM_F_MULTI) && reply.cmd == LUNATIK_CMD_GETSTATE)
    return "dump part";
  if (reply.flags & NLM_F_MULTI) return "reply part " + CommandName(reply.cmd);
  std::string kind = "reply " + CommandName(reply.cmd);
  if (reply.lua_error) kind += " (Lua error)";
  return kind;
}

}  // namespace lunatik_fuzz
