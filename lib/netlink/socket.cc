// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "netlink/socket.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lunatik::netlink {

namespace {

Status SystemError(const char* what) {
  const int error = errno;
  return Status::Error(error, std::string(what) + ": " + std::strerror(error));
}

// Sets an integer socket option.
bool SetOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

}  // namespace

Socket::Socket(mnl_socket* nl) : nl_(nl), buffer_(kDatagramBytes) {}

Socket::~Socket() { mnl_socket_close(nl_); }

Status Socket::Open(std::unique_ptr<Socket>* socket) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
  if (nl == nullptr) return SystemError("cannot open a netlink socket");
  std::unique_ptr<Socket> opened(new Socket(nl));
  const int fd = mnl_socket_get_fd(nl);
  // The extack text is what tells the user why the kernel refused.
  // Capped acks keep a refused 32 KiB fragment from being echoed back.
  if (!SetOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1) ||
      !SetOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1)) {
    return SystemError("cannot enable netlink extended acks");
  }
  // The kernel tells netlink.send() when our queue is full; it must not
  // also report the overrun to us as a receive error.
  if (!SetOption(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)) {
    return SystemError("cannot set NETLINK_NO_ENOBUFS");
  }
  // Only a privileged caller may exceed rmem_max; anyone else gets what
  // SO_RCVBUF grants.
  if (!SetOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, kSocketQueueBytes) &&
      !SetOption(fd, SOL_SOCKET, SO_RCVBUF, kSocketQueueBytes)) {
    return SystemError("cannot size the netlink receive queue");
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    return SystemError("cannot bind the netlink socket");
  }
  *socket = std::move(opened);
  return Status::OK();
}

int Socket::fd() const { return mnl_socket_get_fd(nl_); }

Status Socket::Send(std::string_view message) {
  for (;;) {
    const ssize_t sent = mnl_socket_sendto(nl_, message.data(), message.size());
    if (sent >= 0) return Status::OK();
    if (errno != EINTR) return SystemError("netlink send failed");
  }
}

Status Socket::Receive(int timeout_ms, std::string_view* datagram) {
  pollfd pfd = {fd(), POLLIN, 0};
  // Without a timeout the blocking receive waits by itself: a poll first
  // would only add a system call to every reply.
  while (timeout_ms >= 0) {
    const int ready = poll(&pfd, 1, timeout_ms);
    if (ready > 0) break;
    if (ready == 0) return Status::Error(ETIMEDOUT, "timeout");
    // A signal handler ran; waiting again from the full timeout is good
    // enough for the callers, which bound their total wait themselves.
    if (errno != EINTR) return SystemError("poll on the netlink socket failed");
  }
  for (;;) {
    const ssize_t len =
        mnl_socket_recvfrom(nl_, buffer_.data(), buffer_.size());
    if (len >= 0) {
      *datagram = std::string_view(buffer_.data(), static_cast<size_t>(len));
      return Status::OK();
    }
    if (errno != EINTR) return SystemError("netlink receive failed");
  }
}

}  // namespace lunatik::netlink
