// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "client/errors.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "uapi/linux/lunatik.h"

namespace lunatik {
namespace {

TEST(DescribeKernelErrorTest, NamesTheState) {
  Status exists = DescribeKernelError(RequestContext(LUNATIK_CMD_NEWSTATE, "x"),
                                      EEXIST, "state already exists");
  EXPECT_EQ(exists.code(), EEXIST);
  EXPECT_EQ(exists.message(), "state 'x' already exists");

  Status missing = DescribeKernelError(
      RequestContext(LUNATIK_CMD_DOSTRING, "x"), ENOENT, "no such state");
  EXPECT_EQ(missing.code(), ENOENT);
  EXPECT_EQ(missing.message(), "state 'x' not found");
}

TEST(DescribeKernelErrorTest, PermissionNamesTheCapability) {
  Status s = DescribeKernelError(RequestContext(LUNATIK_CMD_LIMITS), EPERM, "");
  EXPECT_EQ(s.code(), EPERM);
  EXPECT_EQ(s.message(), "permission denied: needs CAP_SYS_ADMIN");
}

TEST(DescribeKernelErrorTest, MaxallocRangeNamesTheMinimum) {
  RequestContext context(LUNATIK_CMD_NEWSTATE, "x");
  context.maxalloc = 100;
  Status s = DescribeKernelError(context, ERANGE, "maxalloc out of range");
  EXPECT_EQ(s.code(), ERANGE);
  EXPECT_EQ(s.message(), "maxalloc 100 is below the minimum of 65536 bytes");
}

TEST(DescribeKernelErrorTest, TooManyStatesNamesTheLimit) {
  RequestContext context(LUNATIK_CMD_NEWSTATE, "x");
  context.maxstates = 1024;
  Status s = DescribeKernelError(context, ENOSPC, "too many states");
  EXPECT_EQ(s.code(), ENOSPC);
  EXPECT_EQ(s.message(), "too many states (maxstates is 1024)");
  Status unknown = DescribeKernelError(
      RequestContext(LUNATIK_CMD_NEWSTATE, "x"), ENOSPC, "");
  EXPECT_EQ(unknown.message(), "too many states");
}

TEST(DescribeKernelErrorTest, OtherErrorsKeepTheKernelWords) {
  Status s = DescribeKernelError(RequestContext(LUNATIK_CMD_DOSTRING, "s"),
                                 E2BIG, "results too large");
  EXPECT_EQ(s.code(), E2BIG);
  EXPECT_EQ(s.message(), "state 's': results too large");
  Status bare =
      DescribeKernelError(RequestContext(LUNATIK_CMD_LIMITS), EINVAL, "");
  EXPECT_EQ(bare.code(), EINVAL);
  EXPECT_EQ(bare.message(), "Invalid argument");
}

TEST(DescribeKernelErrorTest, BusyUploadSaysWhy) {
  Status s =
      DescribeKernelError(RequestContext(LUNATIK_CMD_DOSTRING, "s"), EBUSY,
                          "another socket is uploading a chunk to "
                          "this state");
  EXPECT_EQ(s.code(), EBUSY);
  EXPECT_NE(s.message().find("another session is uploading"),
            std::string::npos);
}

TEST(DescribeKernelErrorTest, BusyQueueKeepsKernelWords) {
  Status s =
      DescribeKernelError(RequestContext(LUNATIK_CMD_DOSTRING, "s"), EBUSY,
                          "too many requests wait for this state");
  EXPECT_EQ(s.code(), EBUSY);
  EXPECT_EQ(s.message(), "state 's': too many requests wait for this state");
}

}  // namespace
}  // namespace lunatik
