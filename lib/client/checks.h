// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Client-side checks of the protocol's limits, so that a bad argument gets
// a message naming the limit before anything reaches the kernel.

#ifndef LUNATIK_LIB_CLIENT_CHECKS_H_
#define LUNATIK_LIB_CLIENT_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lunatik/status.h"

namespace lunatik {

// Returns `text` quoted for a message, cut short when long.
std::string Quote(std::string_view text);

// A state name holds 1 to LUNATIK_STATENAME_MAXSIZE bytes and no NUL.
Status CheckStateName(std::string_view name);

// A codename holds up to LUNATIK_SCRIPTNAME_MAXSIZE bytes and no NUL; empty
// means the default.
Status CheckCodeName(std::string_view codename);

// A chunk holds up to LUNATIK_CODE_MAXSIZE bytes of text.
Status CheckCode(std::string_view code);

// Data sent to a state holds up to LUNATIK_DATA_MAXSIZE bytes.
Status CheckData(std::string_view data);

// maxalloc lies in [LUNATIK_MIN_MAXALLOC, LUNATIK_MAX_MAXALLOC].
Status CheckMaxalloc(uint64_t maxalloc);

}  // namespace lunatik

#endif  // LUNATIK_LIB_CLIENT_CHECKS_H_
