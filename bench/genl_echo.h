// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// The floor for moving data over generic netlink: a request of N bytes to
// the generic netlink controller with a command it does not have. The
// kernel refuses it at once (-EOPNOTSUPP) and, because the socket does not
// set NETLINK_CAP_ACK, its error message echoes the whole request back. One
// round trip thus copies N bytes into the kernel and N bytes out, with no
// work in between: nothing a netlink family can do with the same data is
// cheaper.

#ifndef LUNATIK_BENCH_GENL_ECHO_H_
#define LUNATIK_BENCH_GENL_ECHO_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;

namespace lunatik::bench {

class GenlEcho {
 public:
  // Opens a socket and builds the request carrying `payload` bytes. On
  // failure returns nullptr and says why in *error.
  static std::unique_ptr<GenlEcho> Open(size_t payload, std::string* error);

  ~GenlEcho();
  GenlEcho(const GenlEcho&) = delete;
  GenlEcho& operator=(const GenlEcho&) = delete;

  // Sends the request and reads the echo. Returns false, saying why in
  // *error, unless the reply is the expected error carrying the payload.
  bool RoundTrip(std::string* error);

 private:
  GenlEcho(mnl_socket* nl, size_t payload);

  mnl_socket* nl_;
  size_t payload_;
  unsigned int seq_ = 0;
  std::vector<char> request_;
  std::vector<char> reply_;
};

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_GENL_ECHO_H_
