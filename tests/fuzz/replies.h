// What the kernel sends back, parsed strictly: anything the protocol in
// include/uapi/linux/lunatik.h does not allow is reported as malformed.
#ifndef LUNATIK_TESTS_FUZZ_REPLIES_H_
#define LUNATIK_TESTS_FUZZ_REPLIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lunatik_fuzz {

struct Value {
  // enum lunatik_value; LUNATIK_VALUE_STRING_CONT only first in a nest,
  // continuing a string of the message before.
  int kind;
  int64_t integer = 0;
  std::string text;  // LUNATIK_VALUE_STRING
};

struct Reply {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t portid = 0;
  // NLMSG_ERROR: errno (positive) or 0 for an ack, and the extended ack.
  int error = 0;
  std::optional<std::string> extack_message;
  std::optional<uint32_t> extack_offset;
  // Family messages.
  int cmd = -1;
  std::optional<std::string> state_name;
  std::optional<uint64_t> maxalloc, curralloc, default_maxalloc;
  std::optional<uint32_t> maxstates, nstates;
  std::optional<std::vector<Value>> results;
  std::optional<std::string> lua_error;  // its pieces, concatenated
  std::optional<std::string> output;     // LUNATIK_ATTR_OUTPUT pieces
  bool output_truncated = false;
  std::vector<std::string> data;  // LUNATIK_ATTR_DATA, in order

  bool is_terminator() const;  // NLMSG_ERROR or NLMSG_DONE
  // LUNATIK_CMD_DATA or the notice that a state is gone (seq 0).
  bool is_unsolicited() const;
};

// Splits one datagram into replies. Returns an explanation of the first
// malformation found, or nullopt when all of it is well-formed. @family is
// the lunatik family id.
std::optional<std::string> ParseDatagram(const std::string& datagram,
                                         uint16_t family,
                                         std::vector<Reply>* replies);

// "reply NEWSTATE", "ack", "error EINVAL", "done", "data": the reply
// kinds the fuzzer counts.
std::string KindOf(const Reply& reply);
std::string CommandName(int cmd);
std::string ErrnoName(int error);

}  // namespace lunatik_fuzz

#endif  // LUNATIK_TESTS_FUZZ_REPLIES_H_
