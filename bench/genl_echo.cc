// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "genl_echo.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace lunatik::bench {

namespace {

// Room for the echoed request plus the error header around it.
constexpr size_t kReplySlack = 4096;

std::string SystemError(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

GenlEcho::GenlEcho(mnl_socket* nl, size_t payload)
    : nl_(nl),
      payload_(payload),
      request_(MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(GENL_HDRLEN) +
               MNL_ALIGN(payload)),
      reply_(request_.size() + kReplySlack) {}

GenlEcho::~GenlEcho() { mnl_socket_close(nl_); }

std::unique_ptr<GenlEcho> GenlEcho::Open(size_t payload, std::string* error) {
  mnl_socket* nl = mnl_socket_open(NETLINK_GENERIC);
  if (nl == nullptr) {
    *error = SystemError("cannot open a netlink socket");
    return nullptr;
  }
  std::unique_ptr<GenlEcho> echo(new GenlEcho(nl, payload));
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    *error = SystemError("cannot bind the netlink socket");
    return nullptr;
  }
  nlmsghdr* nlh = mnl_nlmsg_put_header(echo->request_.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_UNSPEC;  // no such operation: refused at once
  genl->version = 1;
  std::memset(mnl_nlmsg_put_extra_header(nlh, payload), 'x', payload);
  return echo;
}

bool GenlEcho::RoundTrip(std::string* error) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(request_.data());
  nlh->nlmsg_seq = ++seq_;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    *error = SystemError("echo send failed");
    return false;
  }
  const ssize_t len = mnl_socket_recvfrom(nl_, reply_.data(), reply_.size());
  if (len < 0) {
    *error = SystemError("echo receive failed");
    return false;
  }
  const auto* reply = reinterpret_cast<const nlmsghdr*>(reply_.data());
  if (!mnl_nlmsg_ok(reply, static_cast<int>(len)) ||
      reply->nlmsg_type != NLMSG_ERROR || reply->nlmsg_seq != seq_) {
    *error = "echo: unexpected reply";
    return false;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
  // The echoed request must be whole, or this would not be the floor for
  // moving the payload both ways.
  if (err->error != -EOPNOTSUPP || err->msg.nlmsg_len != nlh->nlmsg_len ||
      reply->nlmsg_len < sizeof(nlmsghdr) + sizeof(nlmsgerr) + payload_) {
    *error = "echo: the kernel did not echo the whole request";
    return false;
  }
  return true;
}

}  // namespace lunatik::bench
