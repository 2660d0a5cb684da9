// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// UDP over IPv4 on the loopback, the traffic the hook benchmarks send
// through LOCAL_OUT: datagrams from one socket to another that is bound to
// the port and never read. Once its receive buffer is full the kernel drops
// what arrives, after LOCAL_OUT and without an ICMP reply, so every send
// costs the same whatever the hooks let through.

#ifndef LUNATIK_BENCH_LOOPBACK_H_
#define LUNATIK_BENCH_LOOPBACK_H_

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lunatik::bench {

class UdpLoopback {
 public:
  // Binds a socket to 127.0.0.1:`port` and opens one to send `payload`
  // bytes there. On failure returns nullptr and says why in *error.
  static std::unique_ptr<UdpLoopback> Open(uint16_t port, size_t payload,
                                           std::string* error);

  ~UdpLoopback();
  UdpLoopback(const UdpLoopback&) = delete;
  UdpLoopback& operator=(const UdpLoopback&) = delete;

  // Sends one datagram. Returns false, saying why in *error, when the
  // kernel refused it (a hook that drops makes sendto() fail with EPERM).
  bool Send(std::string* error);

 private:
  UdpLoopback(int receiver, int sender, uint16_t port, size_t payload);

  int receiver_;
  int sender_;
  sockaddr_in to_{};
  std::vector<char> payload_;
};

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_LOOPBACK_H_
