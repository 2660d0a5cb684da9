// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/errors.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "client/checks.h"
#include "uapi/linux/lunatik.h"

namespace lunatik {

namespace {

// The kernel's own words, or the errno's when it sent none.
std::string KernelWords(int error, std::string_view extack) {
  if (!extack.empty()) return std::string(extack);
  return std::strerror(error);
}

std::string StatePrefix(const RequestContext& context) {
  if (context.state.empty()) return "";
  return "state " + Quote(context.state) + ": ";
}

}  // namespace

Status DescribeKernelError(const RequestContext& context, int error,
                           std::string_view extack) {
  switch (error) {
    case EPERM:
      return Status::Error(error, "permission denied: needs CAP_SYS_ADMIN");
    case ENOENT:
      if (!context.state.empty()) {
        return Status::Error(error,
                             "state " + Quote(context.state) + " not found");
      }
      break;
    case EEXIST:
      if (context.cmd == LUNATIK_CMD_NEWSTATE) {
        return Status::Error(
            error, "state " + Quote(context.state) + " already exists");
      }
      break;
    case ERANGE:
      if (context.cmd == LUNATIK_CMD_NEWSTATE && context.maxalloc) {
        // The client checks the same range; the kernel's word is final.
        Status range = CheckMaxalloc(*context.maxalloc);
        if (!range.ok()) return range;
      }
      break;
    case ENOSPC:
      if (context.cmd == LUNATIK_CMD_NEWSTATE) {
        std::string message = "too many states";
        if (context.maxstates != 0) {
          message +=
              " (maxstates is " + std::to_string(context.maxstates) + ")";
        }
        return Status::Error(error, message);
      }
      break;
    case EBUSY:
      // EBUSY also says that too many requests wait for the state.
      if (context.cmd == LUNATIK_CMD_DOSTRING &&
          extack.find("uploading") != std::string_view::npos) {
        return Status::Error(error, StatePrefix(context) +
                                        "another session is uploading code "
                                        "to this state; try again");
      }
      break;
    case ENOMEM:
      return Status::Error(error, StatePrefix(context) + "out of memory (" +
                                      KernelWords(error, extack) + ")");
    default:
      break;
  }
  return Status::Error(error,
                       StatePrefix(context) + KernelWords(error, extack));
}

}  // namespace lunatik
