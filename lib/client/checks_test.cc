// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/checks.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "uapi/linux/lunatik.h"

namespace lunatik {
namespace {

TEST(CheckStateNameTest, AcceptsOneToMaxBytes) {
  EXPECT_TRUE(CheckStateName("a").ok());
  EXPECT_TRUE(CheckStateName(std::string(LUNATIK_STATENAME_MAXSIZE, 'n')).ok());
}

TEST(CheckStateNameTest, RefusesEmpty) {
  Status s = CheckStateName("");
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "state name is empty");
}

TEST(CheckStateNameTest, RefusesOneByteTooMany) {
  Status s = CheckStateName(std::string(LUNATIK_STATENAME_MAXSIZE + 1, 'n'));
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(),
            "state name 'nnnnnnnnnnnnnnnnnnnnnnnn...' is longer than 64 bytes");
}

TEST(CheckStateNameTest, RefusesNul) {
  Status s = CheckStateName(std::string("a\0b", 3));
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("NUL"), std::string::npos);
}

TEST(CheckCodeNameTest, EmptyMeansDefault) {
  EXPECT_TRUE(CheckCodeName("").ok());
  EXPECT_TRUE(CheckCodeName(std::string(LUNATIK_SCRIPTNAME_MAXSIZE, 'c')).ok());
}

TEST(CheckCodeNameTest, RefusesTooLong) {
  Status s = CheckCodeName(std::string(LUNATIK_SCRIPTNAME_MAXSIZE + 1, 'c'));
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("longer than 255 bytes"), std::string::npos);
}

TEST(CheckCodeTest, LimitIsInclusive) {
  EXPECT_TRUE(CheckCode(std::string(LUNATIK_CODE_MAXSIZE, ' ')).ok());
  Status s = CheckCode(std::string(LUNATIK_CODE_MAXSIZE + 1, ' '));
  EXPECT_EQ(s.code(), E2BIG);
  EXPECT_EQ(s.message(),
            "code of 1048577 bytes is larger than the limit of 1048576 bytes");
}

TEST(CheckCodeTest, RefusesBinaryChunk) {
  Status s = CheckCode("\x1bLua\x54");
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_TRUE(CheckCode("return '\x1bLua'").ok());
}

// The kernel's rule, which is Lua's loader's: a chunk whose first byte is
// ESC (LUA_SIGNATURE[0]) is binary, whatever follows.
TEST(CheckCodeTest, AnyLeadingEscIsBinary) {
  EXPECT_EQ(CheckCode("\x1b").code(), EINVAL);
  EXPECT_EQ(CheckCode("\x1bLu").code(), EINVAL);
  EXPECT_EQ(CheckCode("\x1breturn 1").code(), EINVAL);
  EXPECT_TRUE(CheckCode(" \x1b").ok());
  EXPECT_TRUE(CheckCode("").ok());
}

TEST(CheckDataTest, LimitIsInclusive) {
  EXPECT_TRUE(CheckData("").ok());
  EXPECT_TRUE(CheckData(std::string(LUNATIK_DATA_MAXSIZE, 'd')).ok());
  Status s = CheckData(std::string(LUNATIK_DATA_MAXSIZE + 1, 'd'));
  EXPECT_EQ(s.code(), E2BIG);
  EXPECT_EQ(s.message(),
            "data of 65537 bytes is larger than the limit of 65536 bytes");
}

TEST(CheckMaxallocTest, Range) {
  EXPECT_TRUE(CheckMaxalloc(LUNATIK_MIN_MAXALLOC).ok());
  EXPECT_TRUE(CheckMaxalloc(LUNATIK_MAX_MAXALLOC).ok());
  Status low = CheckMaxalloc(100);
  EXPECT_EQ(low.code(), ERANGE);
  EXPECT_EQ(low.message(), "maxalloc 100 is below the minimum of 65536 bytes");
  Status high = CheckMaxalloc(uint64_t{LUNATIK_MAX_MAXALLOC} + 1);
  EXPECT_EQ(high.code(), ERANGE);
  EXPECT_EQ(high.message(),
            "maxalloc 1073741825 is above the maximum of 1073741824 bytes");
}

}  // namespace
}  // namespace lunatik
