// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// How a chunk too large for one message is cut into fragments.

#ifndef LUNATIK_LIB_CLIENT_FRAGMENTS_H_
#define LUNATIK_LIB_CLIENT_FRAGMENTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lunatik {

// A piece [offset, offset + length) of a chunk.
struct Fragment {
  uint32_t offset;
  uint32_t length;
};

// Returns the fragments that carry `total` bytes (at least 1) in pieces of
// at most `max_fragment` bytes, in order from offset 0.
std::vector<Fragment> SplitChunk(size_t total, size_t max_fragment);

}  // namespace lunatik

#endif  // LUNATIK_LIB_CLIENT_FRAGMENTS_H_
