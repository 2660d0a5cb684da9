// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/checks.h"

#include <cerrno>

#include "uapi/linux/lunatik.h"

namespace lunatik {

namespace {

// Longest piece of a user's text quoted back in a message.
constexpr size_t kQuoteBytes = 24;

bool HasNul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

std::string Quote(std::string_view text) {
  if (text.size() <= kQuoteBytes) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kQuoteBytes)) + "...'";
}

Status CheckStateName(std::string_view name) {
  if (name.empty()) return Status::Error(EINVAL, "state name is empty");
  if (name.size() > LUNATIK_STATENAME_MAXSIZE) {
    return Status::Error(
        EINVAL, "state name " + Quote(name) + " is longer than " +
                    std::to_string(LUNATIK_STATENAME_MAXSIZE) + " bytes");
  }
  if (HasNul(name)) {
    return Status::Error(EINVAL,
                         "state name " + Quote(name) + " contains a NUL byte");
  }
  return Status::OK();
}

Status CheckCodeName(std::string_view codename) {
  if (codename.size() > LUNATIK_SCRIPTNAME_MAXSIZE) {
    return Status::Error(
        EINVAL, "codename " + Quote(codename) + " is longer than " +
                    std::to_string(LUNATIK_SCRIPTNAME_MAXSIZE) + " bytes");
  }
  if (HasNul(codename)) {
    return Status::Error(
        EINVAL, "codename " + Quote(codename) + " contains a NUL byte");
  }
  return Status::OK();
}

Status CheckCode(std::string_view code) {
  if (code.size() > LUNATIK_CODE_MAXSIZE) {
    return Status::Error(E2BIG, "code of " + std::to_string(code.size()) +
                                    " bytes is larger than the limit of " +
                                    std::to_string(LUNATIK_CODE_MAXSIZE) +
                                    " bytes");
  }
  // The kernel refuses these too, by the rule of Lua's loader: a chunk
  // whose first byte is ESC (LUA_SIGNATURE[0]) is binary. Saying it here
  // spares the upload.
  if (!code.empty() && code[0] == '\x1b') {
    return Status::Error(EINVAL, "binary (precompiled) chunks are refused");
  }
  return Status::OK();
}

Status CheckData(std::string_view data) {
  if (data.size() > LUNATIK_DATA_MAXSIZE) {
    return Status::Error(E2BIG, "data of " + std::to_string(data.size()) +
                                    " bytes is larger than the limit of " +
                                    std::to_string(LUNATIK_DATA_MAXSIZE) +
                                    " bytes");
  }
  return Status::OK();
}

Status CheckMaxalloc(uint64_t maxalloc) {
  if (maxalloc < LUNATIK_MIN_MAXALLOC) {
    return Status::Error(ERANGE, "maxalloc " + std::to_string(maxalloc) +
                                     " is below the minimum of " +
                                     std::to_string(LUNATIK_MIN_MAXALLOC) +
                                     " bytes");
  }
  if (maxalloc > LUNATIK_MAX_MAXALLOC) {
    return Status::Error(ERANGE, "maxalloc " + std::to_string(maxalloc) +
                                     " is above the maximum of " +
                                     std::to_string(LUNATIK_MAX_MAXALLOC) +
                                     " bytes");
  }
  return Status::OK();
}

}  // namespace lunatik
