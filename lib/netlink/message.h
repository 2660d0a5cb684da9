// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Building generic netlink requests and reading the kernel's replies:
// lunatik messages, acks and errors with their extended ack text, and the
// controller's answer when resolving a family.

#ifndef LUNATIK_LIB_NETLINK_MESSAGE_H_
#define LUNATIK_LIB_NETLINK_MESSAGE_H_

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lunatik/value.h"
#include "uapi/linux/lunatik.h"

namespace lunatik::netlink {

// One generic netlink request, growing as attributes are added.
class Request {
 public:
  // Starts a request for family `family`, command `cmd` of version
  // `version`, with netlink flags `flags` (NLM_F_REQUEST is implied).
  Request(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags);

  // Adds a NUL-terminated string attribute.
  void PutString(uint16_t type, std::string_view s);

  // Adds an attribute holding `bytes` as they are.
  void PutBinary(uint16_t type, std::string_view bytes);

  // Adds `bytes` as consecutive attributes of `type` holding at most
  // `chunk_max` bytes each, and at least one attribute when `bytes` is
  // empty: an attribute's length has only 16 bits.
  void PutChunked(uint16_t type, std::string_view bytes, size_t chunk_max);

  // Adds an integer attribute in host byte order.
  void PutU32(uint16_t type, uint32_t value);
  void PutU64(uint16_t type, uint64_t value);

  // Sets the sequence number that the kernel copies into its replies.
  void SetSequence(uint32_t seq);

  // Returns the netlink header.
  const nlmsghdr* header() const;

  // Returns the whole message, ready to send.
  std::string_view bytes() const;

 private:
  nlmsghdr* mutable_header();
  void Put(uint16_t type, const void* data, size_t len);

  std::vector<char> buffer_;
};

// A reply of the lunatik family with its attributes indexed by type. The
// pointers point into the datagram the message came in.
struct Reply {
  const nlmsghdr* header = nullptr;
  uint8_t cmd = 0;
  std::array<const nlattr*, LUNATIK_ATTR_MAX + 1> attrs{};  // last of each
  std::string data;    // every LUNATIK_ATTR_DATA, concatenated in order
  std::string output;  // every LUNATIK_ATTR_OUTPUT, in order
  std::string error;   // every LUNATIK_ATTR_ERROR's text, in order
  std::vector<const nlattr*> results;  // every LUNATIK_ATTR_RESULTS
};

// The type a lunatik attribute must have in a reply, as the UAPI header's
// attribute table gives it; MNL_TYPE_UNSPEC for binary ones, whose bytes
// are not checked. tests/vm/api_schema_test.lua compares the two.
mnl_attr_data_type ReplyAttrType(uint16_t type);

// Fills *reply from a lunatik message, checking each known attribute's
// type and size. Returns false when the message is malformed.
bool ParseReply(const nlmsghdr* nlh, Reply* reply);

// The end of a request: an NLMSG_ERROR (an ack when error is 0) or the
// NLMSG_DONE closing a dump.
struct Ack {
  int error = 0;        // positive errno, 0 for success
  std::string message;  // the kernel's extended ack text, if it sent one
};

// Fills *ack from an NLMSG_ERROR or NLMSG_DONE message. libmnl does not
// surface NLMSGERR_ATTR_MSG, so this reads the TLVs after the error
// itself. Returns false when the message is malformed.
bool ParseAck(const nlmsghdr* nlh, Ack* ack);

// Decodes the values nested in LUNATIK_ATTR_RESULTS and appends them to
// *values; a LUNATIK_VALUE_STRING_CONT continues the string before it,
// which may come from an earlier nest of the same reply. Returns false
// when a value is malformed.
bool ParseResults(const nlattr* results, std::vector<Value>* values);

// Returns a string attribute without its terminating NUL.
std::string_view AttrString(const nlattr* attr);

// Returns a binary attribute's payload.
std::string_view AttrBytes(const nlattr* attr);

// Returns the request that asks the generic netlink controller for the
// family called `name`.
Request FamilyRequest(std::string_view name);

// Reads the family id from the controller's reply. Returns false when the
// reply has none.
bool ParseFamilyId(const nlmsghdr* nlh, uint16_t* id);

}  // namespace lunatik::netlink

#endif  // LUNATIK_LIB_NETLINK_MESSAGE_H_
