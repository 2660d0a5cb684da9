#include "wire.h"

#include <libmnl/libmnl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "uapi/linux/lunatik.h"

namespace lunatik_fuzz {

namespace {

constexpr size_t kReceiveBufferSize = 4 << 20;

// The kernel reads headers wherever they fall in the datagram: so do we,
// with copies instead of casts to stay clear of alignment rules.
template <typename T>
T Load(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(value));
  return value;
}

template <typename T>
void Store(std::string* bytes, size_t offset, T value) {
  std::memcpy(bytes->data() + offset, &value, sizeof(value));
}

// Gives every STATENAME attribute in [begin, end) the fuzzer's prefix.
void ConfineNames(std::string* bytes, size_t begin, size_t end) {
  const size_t prefix_len = sizeof(kNamePrefix) - 1;
  size_t at = begin;
  // An aligned step may pass @end, as in the kernel's walk.
  while (at < end && end - at >= NLA_HDRLEN) {
    const auto len = Load<uint16_t>(*bytes, at);
    const auto type = Load<uint16_t>(*bytes, at + 2);
    if (len < NLA_HDRLEN || len > end - at) break;
    const size_t payload = at + NLA_HDRLEN;
    const size_t payload_len = len - NLA_HDRLEN;
    // An empty name ("" or a leading NUL) is refused by the kernel: keep it.
    if ((type & NLA_TYPE_MASK) == LUNATIK_ATTR_STATENAME && payload_len > 0 &&
        (*bytes)[payload] != '\0' &&
        bytes->compare(payload, prefix_len, kNamePrefix) != 0) {
      if (payload_len >= prefix_len) {
        bytes->replace(payload, prefix_len, kNamePrefix);
      } else {
        Store<uint16_t>(bytes, at + 2, 0x7fff);
      }
    }
    at += NLA_ALIGN(len);
  }
}

}  // namespace

std::string Serialize(const Request& request) {
  std::string out(NLMSG_HDRLEN + GENL_HDRLEN, '\0');
  for (const Attr& attr : request.attrs) {
    const size_t at = out.size();
    out.resize(at + NLA_ALIGN(NLA_HDRLEN + attr.payload.size()), '\0');
    // Payloads over 64 KiB wrap the 16-bit length on purpose.
    Store<uint16_t>(&out, at,
                    static_cast<uint16_t>(NLA_HDRLEN + attr.payload.size()));
    Store<uint16_t>(&out, at + 2, attr.type);
    out.replace(at + NLA_HDRLEN, attr.payload.size(), attr.payload);
  }
  nlmsghdr header = {};
  header.nlmsg_len = static_cast<uint32_t>(out.size());
  header.nlmsg_type = request.nlmsg_type;
  header.nlmsg_flags = request.flags;
  header.nlmsg_seq = request.seq;
  header.nlmsg_pid = request.pid;
  Store(&out, 0, header);
  genlmsghdr genl = {};
  genl.cmd = request.cmd;
  genl.version = request.version;
  genl.reserved = request.reserved;
  Store(&out, NLMSG_HDRLEN, genl);
  return out;
}

std::string U32(uint32_t value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(value));
}

std::string U64(uint64_t value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(value));
}

std::string Strz(const std::string& text) { return text + '\0'; }

std::vector<SentMessage> Confine(std::string* bytes, uint16_t family,
                                 uint32_t* next_seq) {
  std::vector<SentMessage> seen;
  size_t at = 0;
  while (bytes->size() - at >= NLMSG_HDRLEN) {
    auto header = Load<nlmsghdr>(*bytes, at);
    const size_t left = bytes->size() - at;
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > left) break;
    if (header.nlmsg_type >= NLMSG_MIN_TYPE) header.nlmsg_type = family;
    header.nlmsg_seq = (*next_seq)++;
    if (*next_seq == 0) *next_seq = 1;  // 0 marks kernel-initiated messages
    Store(bytes, at, header);
    int cmd = -1;
    if (header.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
      cmd = static_cast<uint8_t>((*bytes)[at + NLMSG_HDRLEN]);
      if (header.nlmsg_type == family) {
        ConfineNames(bytes, at + NLMSG_HDRLEN + GENL_HDRLEN,
                     at + header.nlmsg_len);
      }
    }
    seen.push_back(
        {header.nlmsg_seq, header.nlmsg_type, header.nlmsg_flags, cmd});
    at += std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), left);
  }
  return seen;
}

bool ExpectsTerminator(const SentMessage& m, uint16_t family) {
  if (m.flags & NLM_F_ACK) return true;
  if (!(m.flags & NLM_F_REQUEST) || m.type != family) return false;
  // lunatik.h: DOSTRING and SEND always end with an NLMSG_ERROR, since
  // their answers come from the state's worker, after later requests'.
  return (m.flags & NLM_F_DUMP) == NLM_F_DUMP ||
         m.cmd == LUNATIK_CMD_DOSTRING || m.cmd == LUNATIK_CMD_SEND;
}

GenlSocket::GenlSocket() = default;

GenlSocket::~GenlSocket() { Close(); }

std::optional<std::string> GenlSocket::Open() {
  nl_ = mnl_socket_open(NETLINK_GENERIC);
  if (!nl_) return std::string("socket: ") + std::strerror(errno);
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    std::string error = std::string("bind: ") + std::strerror(errno);
    Close();
    return error;
  }
  portid_ = mnl_socket_get_portid(nl_);
  int on = 1;
  mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &on, sizeof(on));
  // Room for a dump's parts and for the acks of a whole datagram, each of
  // which echoes its request: a fuzzed datagram of 200 KiB answers with
  // more than SO_RCVBUF grants (rmem_max caps it), and an overrun loses
  // answers. The fuzzer runs as root, so it may force the size.
  int size = 4 << 20;
  if (setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &size,
                 sizeof(size)) != 0) {
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &size,
               sizeof(size));
  }
  size = 1 << 20;
  setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_SNDBUF, &size,
             sizeof(size));
  return std::nullopt;
}

std::optional<std::string> GenlSocket::UseDefaultReceiveBuffer() {
  FILE* f = std::fopen("/proc/sys/net/core/rmem_default", "r");
  if (!f) return std::string("rmem_default: ") + std::strerror(errno);
  int size = 0;
  const bool read = std::fscanf(f, "%d", &size) == 1;
  std::fclose(f);
  if (!read) return std::string("rmem_default: unreadable");
  // The kernel doubles what SO_RCVBUF asks for.
  size /= 2;
  if (setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &size,
                 sizeof(size)) != 0) {
    return std::string("SO_RCVBUF: ") + std::strerror(errno);
  }
  return std::nullopt;
}

std::optional<std::string> GenlSocket::SetReceiveBuffer(int bytes) {
  if (setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &bytes,
                 sizeof(bytes)) != 0) {
    return std::string("SO_RCVBUF: ") + std::strerror(errno);
  }
  return std::nullopt;
}

void GenlSocket::Close() {
  if (nl_) mnl_socket_close(nl_);
  nl_ = nullptr;
  portid_ = 0;
}

int GenlSocket::Send(const std::string& bytes) {
  if (mnl_socket_sendto(nl_, bytes.data(), bytes.size()) < 0) return errno;
  return 0;
}

int GenlSocket::Receive(int timeout_ms, std::string* out) {
  pollfd pfd = {mnl_socket_get_fd(nl_), POLLIN, 0};
  int ready = poll(&pfd, 1, timeout_ms);
  if (ready < 0) return errno;
  if (ready == 0) return ETIMEDOUT;
  if (buffer_.empty()) buffer_.resize(kReceiveBufferSize);
  ssize_t n = recv(pfd.fd, buffer_.data(), buffer_.size(), MSG_TRUNC);
  if (n < 0) return errno;
  if (static_cast<size_t>(n) > buffer_.size()) return EMSGSIZE;
  out->assign(buffer_.data(), n);
  return 0;
}

int GenlSocket::ReceiveMany(int timeout_ms, std::vector<std::string>* out) {
  // Every answer is a datagram of its own: one system call for many of
  // them keeps batches cheap. The largest answer echoes a request of a
  // few 64 KiB attributes.
  constexpr unsigned kCount = 32;
  constexpr size_t kEach = 256 << 10;
  pollfd pfd = {mnl_socket_get_fd(nl_), POLLIN, 0};
  int ready = poll(&pfd, 1, timeout_ms);
  if (ready < 0) return errno;
  if (ready == 0) return ETIMEDOUT;
  if (!many_) many_.reset(new char[kCount * kEach]);
  mmsghdr msgs[kCount] = {};
  iovec iovs[kCount];
  for (unsigned i = 0; i < kCount; ++i) {
    iovs[i] = {many_.get() + i * kEach, kEach};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int n = recvmmsg(pfd.fd, msgs, kCount, MSG_DONTWAIT, nullptr);
  if (n < 0) return errno == EAGAIN ? 0 : errno;
  for (int i = 0; i < n; ++i) {
    if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) return EMSGSIZE;
    out->emplace_back(static_cast<const char*>(iovs[i].iov_base),
                      msgs[i].msg_len);
  }
  return 0;
}

uint16_t GenlSocket::ResolveFamily(const char* name, std::string* error) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    *error = std::string("sendto: ") + std::strerror(errno);
    return 0;
  }
  uint16_t id = 0;
  for (;;) {
    std::string datagram;
    int err = Receive(10000, &datagram);
    if (err) {
      *error = std::string("receive: ") + std::strerror(err);
      return 0;
    }
    int left = static_cast<int>(datagram.size());
    for (auto* h = reinterpret_cast<nlmsghdr*>(datagram.data());
         mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (e->error) {
          *error =
              std::string("family ") + name + ": " + std::strerror(-e->error);
          return 0;
        }
        if (!id) *error = "no family id in the reply";
        return id;
      }
      mnl_attr_parse(
          h, GENL_HDRLEN,
          [](const nlattr* attr, void* data) {
            if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
                mnl_attr_validate(attr, MNL_TYPE_U16) == 0) {
              *static_cast<uint16_t*>(data) = mnl_attr_get_u16(attr);
            }
            return MNL_CB_OK;
          },
          &id);
    }
  }
}

std::string HexDump(const std::string& bytes, size_t max_bytes) {
  std::string out;
  char hex[4];
  for (size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    if (i && i % 32 == 0) out += "\n    ";
    std::snprintf(hex, sizeof(hex), "%02x", static_cast<uint8_t>(bytes[i]));
    out += hex;
  }
  if (bytes.size() > max_bytes) {
    out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

}  // namespace lunatik_fuzz
