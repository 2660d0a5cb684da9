// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Turns the kernel's errno and static extended ack text into a message that
// names what the user asked about ("state 'x' not found").

#ifndef LUNATIK_LIB_CLIENT_ERRORS_H_
#define LUNATIK_LIB_CLIENT_ERRORS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "lunatik/status.h"

namespace lunatik {

// What a refused request was about.
struct RequestContext {
  explicit RequestContext(uint8_t cmd, std::string_view state = {})
      : cmd(cmd), state(state) {}

  uint8_t cmd;                       // enum lunatik_cmd
  std::string_view state;            // empty when the request names none
  std::optional<uint64_t> maxalloc;  // as the user asked for it
  uint32_t maxstates = 0;            // the module's limit; 0 when unknown
};

// Returns the Status for a request the kernel refused with positive errno
// `error` and extack text `extack` (possibly empty).
Status DescribeKernelError(const RequestContext& context, int error,
                           std::string_view extack);

}  // namespace lunatik

#endif  // LUNATIK_LIB_CLIENT_ERRORS_H_
