// One fuzzer socket: sends a datagram and collects every answer the kernel
// owes it, checking that each is well-formed, belongs to a message sent,
// and arrives in time.
#ifndef LUNATIK_TESTS_FUZZ_CONNECTION_H_
#define LUNATIK_TESTS_FUZZ_CONNECTION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "replies.h"
#include "wire.h"

namespace lunatik_fuzz {

// What all connections share: the family, sequence numbers, counters and
// the record of failures and notes.
struct Context {
  uint16_t family = 0;
  uint32_t next_seq = 1;
  int timeout_ms = 20000;
  uint64_t datagrams = 0;
  uint64_t messages = 0;  // messages the kernel processed
  uint64_t syncs = 0;
  std::map<std::string, uint64_t> kinds;  // replies by KindOf()
  uint64_t failures = 0;
  std::map<std::string, uint64_t> failure_counts;  // to print repeats once
  bool hung = false;
  // What the datagram being exchanged is, printed with a failure.
  std::string label;
  // Protocol deviations that are not failures: key -> (count, example).
  std::map<std::string, std::pair<uint64_t, std::string>> notes;

  // Prints a failure with the datagram that caused it.
  void Fail(const std::string& what, const std::string& request = "");
  void Note(const std::string& key, const std::string& example);
};

// A datagram confined and numbered, ready to send; see Connection::Prepare.
struct Prepared {
  std::string bytes;
  std::vector<SentMessage> sent;
};

struct Outcome {
  int send_errno = 0;
  bool complete = false;  // every answer owed arrived
  std::vector<SentMessage> sent;
  std::vector<Reply> replies;  // in arrival order, without sync and DATA
};

// The answer to one valid request.
struct CallResult {
  bool complete = false;
  int error = -1;  // errno of the final answer; -1 when there was none
  std::optional<std::string> extack_message;
  std::vector<Reply> messages;  // replies before the final answer
};

class Connection {
 public:
  explicit Connection(Context* context) : context_(context) {}

  std::optional<std::string> Open() {
    auto error = socket_.Open();
    portid_ = socket_.portid();
    return error;
  }
  std::optional<std::string> UseDefaultReceiveBuffer() {
    return socket_.UseDefaultReceiveBuffer();
  }
  // Any thread may close: only the socket is touched.
  void Close() { socket_.Close(); }
  std::optional<std::string> SetReceiveBuffer(int bytes) {
    return socket_.SetReceiveBuffer(bytes);
  }
  bool is_open() const { return socket_.is_open(); }

  // Sends @bytes (after Confine()) and reads until every message that owes
  // an answer got it; a LIMITS request with NLM_F_ACK follows when some
  // message owes none, so that its ack marks the end.
  Outcome Exchange(std::string bytes);
  // Exchange() in three steps, so that datagrams of several sockets can be
  // sent at the same moment from several threads: Prepare() and Finish()
  // use the shared Context (one thread only), SendPrepared() only the
  // socket. Finish() reads the answers; @send_errno is SendPrepared()'s.
  Prepared Prepare(std::string bytes);
  int SendPrepared(const Prepared& prepared);
  Outcome Finish(const Prepared& prepared, int send_errno);
  // Exchange() of one well-formed request with NLM_F_ACK.
  CallResult Call(const Request& request);
  // Sends @bytes (after Confine()) without waiting for answers; for
  // requests abandoned on purpose. Returns false on a failure.
  bool SendRaw(std::string bytes);
  // Reads one datagram, checked. Returns false on timeout.
  bool ReceiveOne(int timeout_ms, std::vector<Reply>* replies);
  // ReceiveOne() in two steps: ReceiveRaw() uses only the socket (any
  // thread; returns 0, ETIMEDOUT or an errno), Accept() checks what it
  // read (the Context's thread). Accept() returns false if malformed.
  int ReceiveRaw(int timeout_ms, std::string* datagram) {
    return socket_.Receive(timeout_ms, datagram);
  }
  bool Accept(const std::string& datagram, std::vector<Reply>* replies);
  // Data messages a state sent to this socket, oldest first.
  std::vector<Reply>& data() { return data_; }

 private:
  bool Validate(const Reply& reply, const std::string& request);

  Context* context_;
  GenlSocket socket_;
  // The port answers are addressed to; kept after Close() for Accept().
  uint32_t portid_ = 0;
  std::vector<Reply> data_;
};

}  // namespace lunatik_fuzz

#endif  // LUNATIK_TESTS_FUZZ_CONNECTION_H_
