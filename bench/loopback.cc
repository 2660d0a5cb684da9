// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "loopback.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lunatik::bench {

namespace {

std::string SystemError(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

UdpLoopback::UdpLoopback(int receiver, int sender, uint16_t port,
                         size_t payload)
    : receiver_(receiver),
      sender_(sender),
      to_(Loopback(port)),
      payload_(payload, 'x') {}

UdpLoopback::~UdpLoopback() {
  close(sender_);
  close(receiver_);
}

std::unique_ptr<UdpLoopback> UdpLoopback::Open(uint16_t port, size_t payload,
                                               std::string* error) {
  const int receiver = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (receiver < 0) {
    *error = SystemError("socket");
    return nullptr;
  }
  const sockaddr_in address = Loopback(port);
  if (bind(receiver, reinterpret_cast<const sockaddr*>(&address),
           sizeof(address)) != 0) {
    *error = SystemError("bind");
    close(receiver);
    return nullptr;
  }
  const int sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sender < 0) {
    *error = SystemError("socket");
    close(receiver);
    return nullptr;
  }
  return std::unique_ptr<UdpLoopback>(
      new UdpLoopback(receiver, sender, port, payload));
}

bool UdpLoopback::Send(std::string* error) {
  const ssize_t n =
      sendto(sender_, payload_.data(), payload_.size(), 0,
             reinterpret_cast<const sockaddr*>(&to_), sizeof(to_));
  if (n == static_cast<ssize_t>(payload_.size())) return true;
  *error = n < 0 ? SystemError("sendto") : "sendto: a short datagram";
  return false;
}

}  // namespace lunatik::bench
