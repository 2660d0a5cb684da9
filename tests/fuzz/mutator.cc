#include "mutator.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <limits>

#include "uapi/linux/lunatik.h"

namespace lunatik_fuzz {

namespace {

std::string Name(size_t length) {
  std::string name = kNamePrefix;
  name.resize(std::max(length, name.size()), 'n');
  name.resize(length);  // lengths under the prefix's are cut: still refused
  return Strz(name);
}

Attr* PickAttr(Rng* rng, Request* request) {
  if (request->attrs.empty()) return nullptr;
  return &request->attrs[rng->Below(request->attrs.size())];
}

Attr* FindAttr(Request* request, uint16_t type) {
  for (Attr& attr : request->attrs) {
    if ((attr.type & NLA_TYPE_MASK) == type) return &attr;
  }
  return nullptr;
}

// Sets attribute @type to @payload, adding it when absent.
void SetAttr(Request* request, uint16_t type, std::string payload) {
  if (Attr* attr = FindAttr(request, type)) {
    attr->payload = std::move(payload);
  } else {
    request->attrs.push_back({type, std::move(payload)});
  }
}

std::string MutateType(Rng* rng, Attr* attr) {
  static const std::vector<uint16_t> kTypes = {0,
                                               LUNATIK_ATTR_MAX + 1,
                                               0x7fff,
                                               0x3fff,
                                               LUNATIK_ATTR_RESULTS,
                                               LUNATIK_ATTR_ERROR,
                                               LUNATIK_ATTR_PAD,
                                               LUNATIK_ATTR_CURRALLOC};
  switch (rng->Below(4)) {
    case 0:
      attr->type |= NLA_F_NESTED;
      return "attribute type with NLA_F_NESTED";
    case 1:
      attr->type |= NLA_F_NET_BYTEORDER;
      return "attribute type with NLA_F_NET_BYTEORDER";
    case 2:
      attr->type = static_cast<uint16_t>(1 + rng->Below(LUNATIK_ATTR_MAX));
      return "attribute retyped to " + std::to_string(attr->type);
    default:
      attr->type = rng->Pick(kTypes);
      return "attribute retyped to " + std::to_string(attr->type);
  }
}

std::string MutateInteger(Rng* rng, Request* request) {
  static const std::vector<uint64_t> kValues = {
      0,
      1,
      LUNATIK_MIN_MAXALLOC - 1,
      LUNATIK_MIN_MAXALLOC,
      LUNATIK_MAX_MAXALLOC,
      LUNATIK_MAX_MAXALLOC + 1ull,
      LUNATIK_CODE_MAXSIZE - 1,
      LUNATIK_CODE_MAXSIZE,
      LUNATIK_CODE_MAXSIZE + 1,
      std::numeric_limits<uint32_t>::max(),
      std::numeric_limits<uint64_t>::max(),
      1ull << 63};
  const uint64_t value =
      rng->OneIn(4) ? rng->Below(1 << 20) : rng->Pick(kValues);
  switch (rng->Below(3)) {
    case 0:
      SetAttr(request, LUNATIK_ATTR_MAXALLOC, U64(value));
      return "maxalloc " + std::to_string(value);
    case 1:
      SetAttr(request, LUNATIK_ATTR_CODE_TOTAL, U32(value));
      return "code total " + std::to_string(static_cast<uint32_t>(value));
    default:
      SetAttr(request, LUNATIK_ATTR_CODE_OFFSET, U32(value));
      return "code offset " + std::to_string(static_cast<uint32_t>(value));
  }
}

std::string MutateHeader(Rng* rng, Request* request) {
  static const std::vector<uint8_t> kCommands = {
      LUNATIK_CMD_UNSPEC, LUNATIK_CMD_DATA, LUNATIK_CMD_MAX + 1, 200, 255};
  static const std::vector<uint16_t> kControlTypes = {
      0,          NLMSG_NOOP,    NLMSG_ERROR,
      NLMSG_DONE, NLMSG_OVERRUN, NLMSG_MIN_TYPE - 1};
  switch (rng->Below(8)) {
    case 0:
      request->cmd = rng->OneIn(3) ? static_cast<uint8_t>(rng->Below(256))
                                   : rng->Pick(kCommands);
      return "command " + std::to_string(request->cmd);
    case 1:
      request->version = rng->Pick(std::vector<uint8_t>{0, 2, 255});
      return "genl version " + std::to_string(request->version);
    case 2:
      request->reserved = static_cast<uint16_t>(rng->Below(65536));
      return "genl reserved field";
    case 3:
      request->flags &= ~NLM_F_ACK;
      return "no NLM_F_ACK";
    case 4:
      request->flags |= NLM_F_DUMP;
      return "NLM_F_DUMP";
    case 5:
      request->flags = static_cast<uint16_t>(rng->Below(65536));
      return "random flags";
    case 6:
      request->flags |= rng->Pick(std::vector<uint16_t>{
          NLM_F_ECHO, NLM_F_EXCL, NLM_F_CREATE, NLM_F_REPLACE, NLM_F_APPEND,
          NLM_F_ATOMIC, NLM_F_MULTI, NLM_F_DUMP_INTR});
      request->flags &= rng->OneIn(4) ? ~NLM_F_REQUEST : 0xffff;
      return "extra flags";
    default:
      request->nlmsg_type = rng->Pick(kControlTypes);
      return "nlmsg type " + std::to_string(request->nlmsg_type);
  }
}

std::string MutateAttr(Rng* rng, Request* request) {
  Attr* attr = PickAttr(rng, request);
  if (!attr) {
    request->attrs.push_back({static_cast<uint16_t>(rng->Below(0x4000)),
                              rng->Bytes(rng->Below(16))});
    return "attribute added to an empty request";
  }
  std::string& p = attr->payload;
  switch (rng->Below(10)) {
    case 0:
      request->attrs.erase(request->attrs.begin() +
                           (attr - request->attrs.data()));
      return "attribute dropped";
    case 1:
      request->attrs.push_back(*attr);
      return "attribute repeated";
    case 2:
      return MutateType(rng, attr);
    case 3:
      p.resize(p.empty() ? 0 : rng->Below(p.size()));
      return "attribute payload truncated to " + std::to_string(p.size());
    case 4:
      p += rng->Bytes(1 + rng->Below(16));
      return "attribute payload extended";
    case 5:
      // Integers of the wrong width: a u64 as 3 bytes, a u32 as 2, ...
      p = rng->Bytes(p.size() == 8 ? 3 : p.size() == 4 ? 2 : 1 + rng->Below(9));
      return "attribute of " + std::to_string(p.size()) + " bytes";
    case 6:
      if (!p.empty() && p.back() == '\0') p.pop_back();
      return "string without NUL";
    case 7:
      p.clear();
      return "empty attribute";
    case 8:
      p = NestedGarbage(rng, 3);
      return "nested garbage payload";
    default:
      // Larger than any policy allows; over 64 KiB the length wraps.
      p = rng->Bytes(rng->OneIn(2) ? LUNATIK_FRAGMENT_MAXSIZE + 1 : 70000);
      return "huge attribute payload";
  }
}

}  // namespace

std::string Rng::Bytes(size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(Below(256));
  return out;
}

std::string NestedGarbage(Rng* rng, int depth) {
  std::string out;
  const uint64_t count = rng->Below(5);
  for (uint64_t i = 0; i < count; ++i) {
    std::string payload = depth > 0 && rng->OneIn(2)
                              ? NestedGarbage(rng, depth - 1)
                              : rng->Bytes(rng->Below(12));
    const auto type = static_cast<uint16_t>(rng->Below(65536));
    auto len = static_cast<uint16_t>(NLA_HDRLEN + payload.size());
    if (rng->OneIn(8)) len = static_cast<uint16_t>(rng->Below(65536));
    out.append(reinterpret_cast<const char*>(&len), sizeof(len));
    out.append(reinterpret_cast<const char*>(&type), sizeof(type));
    out += payload;
    out.resize(NLA_ALIGN(out.size()), '\0');
  }
  return out;
}

std::string MutateFields(Rng* rng, Request* request) {
  switch (rng->Below(9)) {
    case 0:
    case 1:
    case 2:
      return MutateAttr(rng, request);
    case 3: {
      static const std::vector<size_t> kLengths = {0, 1, 3, 63, 64, 65, 4000};
      const size_t length = rng->Pick(kLengths);
      SetAttr(request, LUNATIK_ATTR_STATENAME, Name(length));
      return "state name of " + std::to_string(length) + " bytes";
    }
    case 4: {
      static const std::vector<size_t> kLengths = {0, 1, 254, 255, 256, 4000};
      const size_t length = rng->Pick(kLengths);
      SetAttr(request, LUNATIK_ATTR_CODENAME, Strz(std::string(length, 'c')));
      return "codename of " + std::to_string(length) + " bytes";
    }
    case 5:
      return MutateInteger(rng, request);
    case 6:
    case 7:
      return MutateHeader(rng, request);
    default: {
      static const std::vector<uint16_t> kTypes = {
          0, LUNATIK_ATTR_MAX + 1, 0x7fff, NLA_F_NESTED | 0x7fff};
      uint16_t type = rng->OneIn(2) ? rng->Pick(kTypes)
                                    : static_cast<uint16_t>(rng->Below(65536));
      request->attrs.push_back({type, rng->Bytes(rng->Below(24))});
      return "unknown attribute " + std::to_string(type);
    }
  }
}

std::string MutateBytes(Rng* rng, std::string* bytes) {
  auto set_len = [&](uint32_t len) {
    if (bytes->size() >= sizeof(len))
      std::memcpy(bytes->data(), &len, sizeof(len));
  };
  switch (rng->Below(7)) {
    case 0: {
      const uint64_t flips = 1 + rng->Below(8);
      for (uint64_t i = 0; i < flips && !bytes->empty(); ++i) {
        char& byte = (*bytes)[rng->Below(bytes->size())];
        byte = static_cast<char>(static_cast<unsigned char>(byte) ^
                                 (1U << rng->Below(8)));
      }
      return std::to_string(flips) + " bits flipped";
    }
    case 1:
      bytes->resize(rng->Below(bytes->size() + 1));
      return "datagram truncated to " + std::to_string(bytes->size());
    case 2:
      if (bytes->size() < NLMSG_HDRLEN) return "nothing to truncate";
      bytes->resize(NLMSG_HDRLEN +
                    rng->Below(bytes->size() + 1 - NLMSG_HDRLEN));
      set_len(static_cast<uint32_t>(bytes->size()));
      return "message truncated to " + std::to_string(bytes->size());
    case 3:
      *bytes += rng->OneIn(2) ? rng->Bytes(1 + rng->Below(64))
                              : NestedGarbage(rng, 2);
      if (rng->OneIn(2)) set_len(static_cast<uint32_t>(bytes->size()));
      return "datagram extended to " + std::to_string(bytes->size());
    case 4: {
      static const std::vector<uint32_t> kLengths = {0, 1, 15, 16, 19, 20};
      uint32_t len = rng->OneIn(3)
                         ? static_cast<uint32_t>(rng->Below(1ull << 32))
                         : rng->Pick(kLengths);
      if (rng->OneIn(3)) len = static_cast<uint32_t>(bytes->size() + 1);
      set_len(len);
      return "nlmsg_len " + std::to_string(len);
    }
    case 5: {
      // Shorter than the netlink or the genl header.
      bytes->resize(rng->Below(NLMSG_HDRLEN + GENL_HDRLEN));
      set_len(static_cast<uint32_t>(bytes->size()));
      return "message of " + std::to_string(bytes->size()) + " bytes";
    }
    default:
      if (!bytes->empty()) {
        (*bytes)[rng->Below(bytes->size())] =
            static_cast<char>(rng->Below(256));
      }
      return "byte overwritten";
  }
}

}  // namespace lunatik_fuzz
