// Raw generic netlink for the fuzzer: requests built byte by byte (so they
// can be wrong in every way), the pass that keeps mutated bytes inside the
// fuzzer's own corner of the kernel, and a socket with a receive timeout.
#ifndef LUNATIK_TESTS_FUZZ_WIRE_H_
#define LUNATIK_TESTS_FUZZ_WIRE_H_

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;

namespace lunatik_fuzz {

// Every state name the kernel can read from a fuzzer request starts so.
inline constexpr char kNamePrefix[] = "fz-";

struct Attr {
  uint16_t type;
  std::string payload;
};

// A generic netlink request as fields; Serialize() writes them as given,
// lengths computed from the payloads.
struct Request {
  uint16_t nlmsg_type = 0;
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
  uint32_t seq = 0;
  uint32_t pid = 0;
  uint8_t cmd = 0;
  uint8_t version = 1;
  uint16_t reserved = 0;
  std::vector<Attr> attrs;
};

std::string Serialize(const Request& request);

std::string U32(uint32_t value);
std::string U64(uint64_t value);
// The string with its terminating NUL.
std::string Strz(const std::string& text);

// A message the kernel will process from a datagram, as the kernel reads
// it (netlink_rcv_skb's walk).
struct SentMessage {
  uint32_t seq;
  uint16_t type;
  uint16_t flags;
  int cmd;  // -1 when the message is too short for a genl header
};

// Rewrites @bytes so that the kernel sees only messages of type @family
// or netlink control types, each with a fresh sequence number from
// @next_seq, and no state name without kNamePrefix (an offending name
// attribute is renamed or retyped). Returns the messages the kernel will
// process, in order.
std::vector<SentMessage> Confine(std::string* bytes, uint16_t family,
                                 uint32_t* next_seq);

// Whether the kernel answers @m with an ack, an error or a dump's end.
bool ExpectsTerminator(const SentMessage& m, uint16_t family);

class GenlSocket {
 public:
  GenlSocket();
  ~GenlSocket();
  GenlSocket(const GenlSocket&) = delete;
  GenlSocket& operator=(const GenlSocket&) = delete;

  // Opens, binds and asks for extended acks. Returns an error text.
  std::optional<std::string> Open();
  bool is_open() const { return nl_ != nullptr; }
  void Close();
  uint32_t portid() const { return portid_; }
  // Gives the socket the receive buffer of a socket that never set one
  // (net.core.rmem_default). Returns an error text.
  std::optional<std::string> UseDefaultReceiveBuffer();
  // SO_RCVBUF (the kernel doubles it). Returns an error text.
  std::optional<std::string> SetReceiveBuffer(int bytes);

  // Returns 0 or the errno of sendto.
  int Send(const std::string& bytes);
  // Waits up to @timeout_ms for one datagram. Returns 0 with it in @out,
  // ETIMEDOUT, or another errno.
  int Receive(int timeout_ms, std::string* out);
  // Waits up to @timeout_ms for a datagram, then takes all that wait, up
  // to a few dozen, in one recvmmsg(). Returns 0 with them appended to
  // @out, ETIMEDOUT, or another errno.
  int ReceiveMany(int timeout_ms, std::vector<std::string>* out);

  // CTRL_CMD_GETFAMILY: returns the family id, or 0 with @error set.
  uint16_t ResolveFamily(const char* name, std::string* error);

 private:
  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  std::vector<char> buffer_;      // allocated once: zeroing it is slow in TCG
  std::unique_ptr<char[]> many_;  // ReceiveMany()'s buffers, never zeroed
};

std::string HexDump(const std::string& bytes, size_t max_bytes = 256);

}  // namespace lunatik_fuzz

#endif  // LUNATIK_TESTS_FUZZ_WIRE_H_
