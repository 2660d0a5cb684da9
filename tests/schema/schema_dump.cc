// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// lunatik-schema: prints the lunatik family's attribute schema as the two
// sides of the protocol hold it, for tests/vm/api_schema_test.lua to
// compare with the UAPI header. Lines, with numbers as the kernel sends
// them:
//   op CMD POLICY                the policy a command's doit validates with
//   policy POLICY ATTR TYPE [KEY VALUE]...   one attribute of a policy,
//                                KEY being min_length, max_length,
//                                min_value or max_value
//   client ATTR TYPE             the type liblunatik's reply parser checks
// TYPE is the kernel's NL_ATTR_TYPE_* or libmnl's MNL_TYPE_* name, without
// the prefix. The kernel side comes from the generic netlink controller's
// CTRL_CMD_GETPOLICY dump, so it is the running module's real policy.

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "netlink/message.h"
#include "uapi/linux/lunatik.h"

namespace {

const char* KernelTypeName(uint32_t type) {
  switch (type) {
    case NL_ATTR_TYPE_FLAG:
      return "FLAG";
    case NL_ATTR_TYPE_U8:
      return "U8";
    case NL_ATTR_TYPE_U16:
      return "U16";
    case NL_ATTR_TYPE_U32:
      return "U32";
    case NL_ATTR_TYPE_U64:
      return "U64";
    case NL_ATTR_TYPE_STRING:
      return "STRING";
    case NL_ATTR_TYPE_NUL_STRING:
      return "NUL_STRING";
    case NL_ATTR_TYPE_BINARY:
      return "BINARY";
    case NL_ATTR_TYPE_NESTED:
      return "NESTED";
    default:
      return "OTHER";
  }
}

const char* ClientTypeName(mnl_attr_data_type type) {
  switch (type) {
    case MNL_TYPE_UNSPEC:
      return "UNSPEC";
    case MNL_TYPE_U32:
      return "U32";
    case MNL_TYPE_U64:
      return "U64";
    case MNL_TYPE_NUL_STRING:
      return "NUL_STRING";
    case MNL_TYPE_FLAG:
      return "FLAG";
    case MNL_TYPE_NESTED:
      return "NESTED";
    default:
      return "OTHER";
  }
}

int Collect(const nlattr* attr, void* data) {
  static_cast<std::vector<const nlattr*>*>(data)->push_back(attr);
  return MNL_CB_OK;
}

// Children of a nest, in order; the caller checks their types.
std::vector<const nlattr*> Children(const nlattr* nest) {
  std::vector<const nlattr*> out;
  mnl_attr_parse_nested(nest, Collect, &out);
  return out;
}

// One attribute's description: NL_POLICY_TYPE_ATTR_* inside the nest.
void PrintAttr(uint32_t policy, const nlattr* desc) {
  std::string line = "policy " + std::to_string(policy) + " " +
                     std::to_string(mnl_attr_get_type(desc));
  std::string keys;
  const char* type = "OTHER";
  for (const nlattr* a : Children(desc)) {
    switch (mnl_attr_get_type(a)) {
      case NL_POLICY_TYPE_ATTR_TYPE:
        type = KernelTypeName(mnl_attr_get_u32(a));
        break;
      case NL_POLICY_TYPE_ATTR_MIN_LENGTH:
        keys += " min_length " + std::to_string(mnl_attr_get_u32(a));
        break;
      case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
        keys += " max_length " + std::to_string(mnl_attr_get_u32(a));
        break;
      case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
        keys += " min_value " + std::to_string(mnl_attr_get_u64(a));
        break;
      case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
        keys += " max_value " + std::to_string(mnl_attr_get_u64(a));
        break;
      default:
        break;
    }
  }
  std::printf("%s %s%s\n", line.c_str(), type, keys.c_str());
}

// One message of the dump: either policies or the op-to-policy map.
void PrintMessage(const nlmsghdr* nlh) {
  std::vector<const nlattr*> attrs;
  mnl_attr_parse(nlh, sizeof(genlmsghdr), Collect, &attrs);
  for (const nlattr* attr : attrs) {
    switch (mnl_attr_get_type(attr)) {
      case CTRL_ATTR_POLICY:
        for (const nlattr* policy : Children(attr)) {
          for (const nlattr* desc : Children(policy)) {
            PrintAttr(mnl_attr_get_type(policy), desc);
          }
        }
        break;
      case CTRL_ATTR_OP_POLICY:
        for (const nlattr* op : Children(attr)) {
          for (const nlattr* which : Children(op)) {
            if (mnl_attr_get_type(which) == CTRL_ATTR_POLICY_DO) {
              std::printf("op %u %u\n", mnl_attr_get_type(op),
                          mnl_attr_get_u32(which));
            }
          }
        }
        break;
      default:
        break;
    }
  }
}

int DumpKernel() {
  mnl_socket* nl = mnl_socket_open(NETLINK_GENERIC);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    std::perror("lunatik-schema: netlink socket");
    return 1;
  }
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = 1;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETPOLICY;
  genl->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LUNATIK_GENL_NAME);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    std::perror("lunatik-schema: send");
    return 1;
  }
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      std::perror("lunatik-schema: receive");
      return 1;
    }
    int len = static_cast<int>(n);
    for (const auto* m = reinterpret_cast<const nlmsghdr*>(buf.data());
         mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
      if (m->nlmsg_type == NLMSG_DONE) {
        mnl_socket_close(nl);
        return 0;
      }
      if (m->nlmsg_type == NLMSG_ERROR) {
        const auto* err =
            static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
        std::fprintf(stderr, "lunatik-schema: GETPOLICY: %s\n",
                     std::strerror(-err->error));
        return 1;
      }
      PrintMessage(m);
    }
  }
}

}  // namespace

int main() {
  for (uint16_t type = 1; type <= LUNATIK_ATTR_MAX; ++type) {
    std::printf("client %u %s\n", type,
                ClientTypeName(lunatik::netlink::ReplyAttrType(type)));
  }
  return DumpKernel();
}
