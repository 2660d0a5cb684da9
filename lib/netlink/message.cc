// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "netlink/message.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cstring>

namespace lunatik::netlink {

mnl_attr_data_type ReplyAttrType(uint16_t type) {
  switch (type) {
    case LUNATIK_ATTR_STATENAME:
    case LUNATIK_ATTR_CODENAME:
    case LUNATIK_ATTR_ERROR:
      return MNL_TYPE_NUL_STRING;
    case LUNATIK_ATTR_MAXALLOC:
    case LUNATIK_ATTR_CURRALLOC:
    case LUNATIK_ATTR_DEFAULT_MAXALLOC:
      return MNL_TYPE_U64;
    case LUNATIK_ATTR_CODE_TOTAL:
    case LUNATIK_ATTR_CODE_OFFSET:
    case LUNATIK_ATTR_MAXSTATES:
    case LUNATIK_ATTR_NSTATES:
      return MNL_TYPE_U32;
    case LUNATIK_ATTR_RESULTS:
      return MNL_TYPE_NESTED;
    case LUNATIK_ATTR_PEEK:
    case LUNATIK_ATTR_OUTPUT_TRUNCATED:
      return MNL_TYPE_FLAG;
    default:
      return MNL_TYPE_UNSPEC;
  }
}

namespace {

int CollectLunatikAttr(const nlattr* attr, void* data) {
  auto* reply = static_cast<Reply*>(data);
  const uint16_t type = mnl_attr_get_type(attr);
  // Attributes newer than this client are skipped, not refused.
  if (type == 0 || type > LUNATIK_ATTR_MAX) return MNL_CB_OK;
  const mnl_attr_data_type rule = ReplyAttrType(type);
  if (rule != MNL_TYPE_UNSPEC && mnl_attr_validate(attr, rule) < 0) {
    return MNL_CB_ERROR;
  }
  reply->attrs[type] = attr;
  switch (type) {
    case LUNATIK_ATTR_DATA:
      reply->data.append(AttrBytes(attr));
      break;
    case LUNATIK_ATTR_OUTPUT:
      reply->output.append(AttrBytes(attr));
      break;
    case LUNATIK_ATTR_ERROR:
      reply->error.append(AttrString(attr));
      break;
    case LUNATIK_ATTR_RESULTS:
      reply->results.push_back(attr);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

int CollectExtackAttr(const nlattr* attr, void* data) {
  auto* ack = static_cast<Ack*>(data);
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
    if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) return MNL_CB_ERROR;
    ack->message = AttrString(attr);
  }
  return MNL_CB_OK;
}

struct ResultsWalk {
  std::vector<Value>* values;
};

int CollectValue(const nlattr* attr, void* data) {
  auto* values = static_cast<ResultsWalk*>(data)->values;
  switch (mnl_attr_get_type(attr)) {
    case LUNATIK_VALUE_NIL:
      values->emplace_back();
      return MNL_CB_OK;
    case LUNATIK_VALUE_BOOLEAN:
      if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0) return MNL_CB_ERROR;
      values->push_back(Value::Boolean(mnl_attr_get_u8(attr) != 0));
      return MNL_CB_OK;
    case LUNATIK_VALUE_INTEGER:
      if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0) return MNL_CB_ERROR;
      values->push_back(
          Value::Integer(static_cast<int64_t>(mnl_attr_get_u64(attr))));
      return MNL_CB_OK;
    case LUNATIK_VALUE_STRING:
      values->push_back(Value::String(std::string(AttrBytes(attr))));
      return MNL_CB_OK;
    case LUNATIK_VALUE_STRING_CONT:
      if (values->empty() || values->back().type() != Value::Type::kString) {
        return MNL_CB_ERROR;
      }
      values->back().AppendString(AttrBytes(attr));
      return MNL_CB_OK;
    default:
      // A value type this client does not know would shift every later
      // value, so the whole result is refused.
      return MNL_CB_ERROR;
  }
}

int CollectFamilyId(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID) {
    if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0) return MNL_CB_ERROR;
    *static_cast<uint16_t*>(data) = mnl_attr_get_u16(attr);
  }
  return MNL_CB_OK;
}

}  // namespace

Request::Request(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags)
    : buffer_(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(genlmsghdr))) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer_.data());
  nlh->nlmsg_type = family;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = version;
}

nlmsghdr* Request::mutable_header() {
  return reinterpret_cast<nlmsghdr*>(buffer_.data());
}

const nlmsghdr* Request::header() const {
  return reinterpret_cast<const nlmsghdr*>(buffer_.data());
}

void Request::Put(uint16_t type, const void* data, size_t len) {
  buffer_.resize(header()->nlmsg_len + MNL_ATTR_HDRLEN + MNL_ALIGN(len));
  mnl_attr_put(mutable_header(), type, len, data);
}

void Request::PutString(uint16_t type, std::string_view s) {
  std::string terminated(s);
  Put(type, terminated.c_str(), terminated.size() + 1);
}

void Request::PutBinary(uint16_t type, std::string_view bytes) {
  Put(type, bytes.data(), bytes.size());
}

void Request::PutChunked(uint16_t type, std::string_view bytes,
                         size_t chunk_max) {
  do {
    const std::string_view chunk = bytes.substr(0, chunk_max);
    PutBinary(type, chunk);
    bytes.remove_prefix(chunk.size());
  } while (!bytes.empty());
}

void Request::PutU32(uint16_t type, uint32_t value) {
  Put(type, &value, sizeof(value));
}

void Request::PutU64(uint16_t type, uint64_t value) {
  Put(type, &value, sizeof(value));
}

void Request::SetSequence(uint32_t seq) { mutable_header()->nlmsg_seq = seq; }

std::string_view Request::bytes() const {
  return std::string_view(buffer_.data(), header()->nlmsg_len);
}

bool ParseReply(const nlmsghdr* nlh, Reply* reply) {
  *reply = Reply();
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(genlmsghdr)) return false;
  const auto* genl = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
  reply->header = nlh;
  reply->cmd = genl->cmd;
  return mnl_attr_parse(nlh, sizeof(genlmsghdr), CollectLunatikAttr, reply) >=
         MNL_CB_STOP;
}

bool ParseAck(const nlmsghdr* nlh, Ack* ack) {
  *ack = Ack();
  const size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
  size_t tlv_offset;
  if (nlh->nlmsg_type == NLMSG_DONE) {
    if (payload_len < sizeof(int)) return false;
    int error;
    std::memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
    ack->error = -error;
    tlv_offset = sizeof(int);
  } else if (nlh->nlmsg_type == NLMSG_ERROR) {
    if (payload_len < sizeof(nlmsgerr)) return false;
    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    ack->error = -err->error;
    tlv_offset = sizeof(nlmsgerr);
    // Without NETLINK_CAP_ACK the kernel echoes the whole request first.
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
      if (err->msg.nlmsg_len < sizeof(nlmsghdr)) return false;
      tlv_offset += MNL_ALIGN(err->msg.nlmsg_len) - sizeof(nlmsghdr);
    }
  } else {
    return false;
  }
  if (ack->error < 0) return false;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return true;
  if (MNL_ALIGN(tlv_offset) > payload_len) return false;
  return mnl_attr_parse(nlh, MNL_ALIGN(tlv_offset), CollectExtackAttr, ack) >=
         MNL_CB_STOP;
}

bool ParseResults(const nlattr* results, std::vector<Value>* values) {
  ResultsWalk walk{values};
  return mnl_attr_parse_nested(results, CollectValue, &walk) >= MNL_CB_STOP;
}

std::string_view AttrString(const nlattr* attr) {
  std::string_view s(static_cast<const char*>(mnl_attr_get_payload(attr)),
                     mnl_attr_get_payload_len(attr));
  // Validated as NUL-terminated; the NUL is not part of the text.
  const size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

std::string_view AttrBytes(const nlattr* attr) {
  return std::string_view(static_cast<const char*>(mnl_attr_get_payload(attr)),
                          mnl_attr_get_payload_len(attr));
}

Request FamilyRequest(std::string_view name) {
  Request request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
  request.PutString(CTRL_ATTR_FAMILY_NAME, name);
  return request;
}

bool ParseFamilyId(const nlmsghdr* nlh, uint16_t* id) {
  *id = 0;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(genlmsghdr)) return false;
  if (mnl_attr_parse(nlh, sizeof(genlmsghdr), CollectFamilyId, id) <
      MNL_CB_STOP) {
    return false;
  }
  return *id != 0;
}

}  // namespace lunatik::netlink
