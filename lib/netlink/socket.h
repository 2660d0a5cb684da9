// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// A generic netlink socket (libmnl) set up for lunatik: extended acks,
// capped acks, a large kernel-side queue and a receive buffer that holds
// the largest message the module sends.

#ifndef LUNATIK_LIB_NETLINK_SOCKET_H_
#define LUNATIK_LIB_NETLINK_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "lunatik/status.h"

struct mnl_socket;

namespace lunatik::netlink {

// Kernel-side receive queue we ask for: data the module sends waits there
// until the program receives it.
inline constexpr int kSocketQueueBytes = 4 * 1024 * 1024;

// Largest datagram we read: a 64 KiB payload, its attribute and message
// headers, and room to spare.
inline constexpr size_t kDatagramBytes = 128 * 1024;

class Socket {
 public:
  // Opens and binds a socket; stores it in *socket.
  static Status Open(std::unique_ptr<Socket>* socket);

  ~Socket();

  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Returns the file descriptor, for poll().
  int fd() const;

  // Sends one message to the kernel.
  Status Send(std::string_view message);

  // Waits up to `timeout_ms` milliseconds (forever when negative) for one
  // datagram and points *datagram at it; it stays valid until the next
  // call. Fails with ETIMEDOUT when nothing came in time.
  Status Receive(int timeout_ms, std::string_view* datagram);

 private:
  explicit Socket(mnl_socket* nl);

  mnl_socket* nl_;
  std::vector<char> buffer_;
};

}  // namespace lunatik::netlink

#endif  // LUNATIK_LIB_NETLINK_SOCKET_H_
