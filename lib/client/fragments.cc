// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/fragments.h"

#include <algorithm>

namespace lunatik {

std::vector<Fragment> SplitChunk(size_t total, size_t max_fragment) {
  std::vector<Fragment> fragments;
  fragments.reserve((total + max_fragment - 1) / max_fragment);
  for (size_t offset = 0; offset < total; offset += max_fragment) {
    const size_t length = std::min(max_fragment, total - offset);
    fragments.push_back(
        {static_cast<uint32_t>(offset), static_cast<uint32_t>(length)});
  }
  return fragments;
}

}  // namespace lunatik
