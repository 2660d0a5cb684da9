// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/data_queues.h"

#include <gtest/gtest.h>

namespace lunatik {
namespace {

TEST(DataQueuesTest, KeepsOrderPerState) {
  DataQueues queues;
  queues.Push("a", "a1");
  queues.Push("b", "b1");
  queues.Push("a", "a2");
  std::string data;
  ASSERT_TRUE(queues.Pop("a", &data));
  EXPECT_EQ(data, "a1");
  ASSERT_TRUE(queues.Pop("a", &data));
  EXPECT_EQ(data, "a2");
  EXPECT_FALSE(queues.Pop("a", &data));
  // Draining a never took b's data.
  EXPECT_EQ(queues.Count("b"), 1u);
  ASSERT_TRUE(queues.Pop("b", &data));
  EXPECT_EQ(data, "b1");
}

TEST(DataQueuesTest, EmptyDataIsStillData) {
  DataQueues queues;
  queues.Push("s", "");
  std::string data = "stale";
  ASSERT_TRUE(queues.Pop("s", &data));
  EXPECT_EQ(data, "");
  EXPECT_FALSE(queues.Pop("s", &data));
}

TEST(DataQueuesTest, DropForgetsOnlyThatState) {
  DataQueues queues;
  queues.Push("gone", "x");
  queues.Push("gone", "y");
  queues.Push("kept", "z");
  queues.Drop("gone");
  EXPECT_EQ(queues.Count("gone"), 0u);
  EXPECT_EQ(queues.Count("kept"), 1u);
  queues.Drop("never-seen");
  EXPECT_EQ(queues.Count("kept"), 1u);
}

TEST(DataQueuesTest, NamesAreExactBytes) {
  DataQueues queues;
  queues.Push("s", "1");
  std::string data;
  EXPECT_FALSE(queues.Pop("S", &data));
  EXPECT_FALSE(queues.Pop("s ", &data));
  EXPECT_TRUE(queues.Pop("s", &data));
}

TEST(DataQueuesTest, GoneOnlyOnceTheDataIsTaken) {
  DataQueues queues;
  queues.Push("s", "before");
  queues.MarkGone("s");
  EXPECT_FALSE(queues.TakeGone("s"));
  std::string data;
  ASSERT_TRUE(queues.Pop("s", &data));
  EXPECT_EQ(data, "before");
  EXPECT_FALSE(queues.Pop("s", &data));
  EXPECT_TRUE(queues.TakeGone("s"));
  EXPECT_FALSE(queues.TakeGone("s"));
}

TEST(DataQueuesTest, DropForgetsTheGoneMark) {
  DataQueues queues;
  queues.MarkGone("s");
  EXPECT_EQ(queues.Count("s"), 0u);
  queues.Drop("s");
  EXPECT_FALSE(queues.TakeGone("s"));
}

}  // namespace
}  // namespace lunatik
