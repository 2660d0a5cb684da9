// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/fragments.h"

#include <gtest/gtest.h>

#include "uapi/linux/lunatik.h"

namespace lunatik {
namespace {

TEST(SplitChunkTest, SmallChunkIsOneFragment) {
  const std::vector<Fragment> f = SplitChunk(10, LUNATIK_FRAGMENT_MAXSIZE);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, 0u);
  EXPECT_EQ(f[0].length, 10u);
}

TEST(SplitChunkTest, ExactMultipleHasNoEmptyTail) {
  const std::vector<Fragment> f = SplitChunk(3 * 100, 100);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].offset, 200u);
  EXPECT_EQ(f[2].length, 100u);
}

TEST(SplitChunkTest, CoversTheLargestChunkInOrder) {
  const size_t total = LUNATIK_CODE_MAXSIZE;
  const std::vector<Fragment> f = SplitChunk(total, LUNATIK_FRAGMENT_MAXSIZE);
  ASSERT_EQ(f.size(), total / LUNATIK_FRAGMENT_MAXSIZE);
  size_t next = 0;
  for (const Fragment& fragment : f) {
    EXPECT_EQ(fragment.offset, next);
    EXPECT_GT(fragment.length, 0u);
    EXPECT_LE(fragment.length, static_cast<size_t>(LUNATIK_FRAGMENT_MAXSIZE));
    next += fragment.length;
  }
  EXPECT_EQ(next, total);
}

TEST(SplitChunkTest, ShortLastFragment) {
  const std::vector<Fragment> f = SplitChunk(250, 100);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].offset, 200u);
  EXPECT_EQ(f[2].length, 50u);
}

}  // namespace
}  // namespace lunatik
