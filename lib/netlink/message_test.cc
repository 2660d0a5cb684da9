// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "netlink/message.h"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace lunatik::netlink {
namespace {

constexpr uint16_t kFamily = 0x1234;

// A buffer that outlives the headers built in it, aligned for nlmsghdr.
class Buffer {
 public:
  Buffer() : words_(4096) {}
  char* data() { return reinterpret_cast<char*>(words_.data()); }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(data()); }

 private:
  std::vector<uint64_t> words_;
};

// Builds an NLMSG_ERROR like the kernel does: the error, then either the
// whole request (not capped) or only its header, then extack TLVs.
nlmsghdr* PutError(Buffer* buf, int error, const char* extack, bool capped,
                   const Request* request) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf->data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = 7;
  auto* err =
      static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = -error;
  std::memcpy(&err->msg, request->header(), sizeof(nlmsghdr));
  if (capped) {
    nlh->nlmsg_flags |= NLM_F_CAPPED;
  } else {
    const size_t payload = request->bytes().size() - sizeof(nlmsghdr);
    std::memcpy(mnl_nlmsg_put_extra_header(nlh, payload),
                request->bytes().data() + sizeof(nlmsghdr), payload);
  }
  if (extack != nullptr) {
    nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
    mnl_attr_put_strz(nlh, NLMSGERR_ATTR_OFFS, "ignored-by-type");
    mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
  }
  return nlh;
}

nlmsghdr* PutLunatik(Buffer* buf, uint8_t cmd) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf->data());
  nlh->nlmsg_type = kFamily;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = LUNATIK_GENL_VERSION;
  return nlh;
}

TEST(RequestTest, CarriesHeaderAndAttributes) {
  Request request(kFamily, LUNATIK_CMD_NEWSTATE, LUNATIK_GENL_VERSION,
                  NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, "probe");
  request.PutU64(LUNATIK_ATTR_MAXALLOC, 1u << 20);
  request.SetSequence(42);

  const nlmsghdr* nlh = request.header();
  EXPECT_EQ(nlh->nlmsg_len, request.bytes().size());
  EXPECT_EQ(nlh->nlmsg_type, kFamily);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(nlh->nlmsg_seq, 42u);

  Reply reply;
  ASSERT_TRUE(ParseReply(nlh, &reply));
  EXPECT_EQ(reply.cmd, LUNATIK_CMD_NEWSTATE);
  ASSERT_NE(reply.attrs[LUNATIK_ATTR_STATENAME], nullptr);
  EXPECT_EQ(AttrString(reply.attrs[LUNATIK_ATTR_STATENAME]), "probe");
  // The wire form of a name ends with its NUL.
  EXPECT_EQ(mnl_attr_get_payload_len(reply.attrs[LUNATIK_ATTR_STATENAME]), 6u);
  ASSERT_NE(reply.attrs[LUNATIK_ATTR_MAXALLOC], nullptr);
  EXPECT_EQ(mnl_attr_get_u64(reply.attrs[LUNATIK_ATTR_MAXALLOC]), 1u << 20);
  EXPECT_EQ(reply.attrs[LUNATIK_ATTR_CODE], nullptr);
}

TEST(RequestTest, BinaryKeepsNulBytesAndGrowsPastOnePage) {
  std::string code(40000, 'x');
  code[10] = '\0';
  Request request(kFamily, LUNATIK_CMD_DOSTRING, LUNATIK_GENL_VERSION, 0);
  request.PutBinary(LUNATIK_ATTR_CODE, code);
  request.PutU32(LUNATIK_ATTR_CODE_OFFSET, 32768);

  Reply reply;
  ASSERT_TRUE(ParseReply(request.header(), &reply));
  EXPECT_EQ(AttrBytes(reply.attrs[LUNATIK_ATTR_CODE]), code);
  EXPECT_EQ(mnl_attr_get_u32(reply.attrs[LUNATIK_ATTR_CODE_OFFSET]), 32768u);
}

TEST(RequestTest, ChunkedDataRoundTrips) {
  std::string data(LUNATIK_DATA_MAXSIZE, 'd');
  data[LUNATIK_DATA_CHUNK_MAXSIZE] = 'X';  // first byte of the second chunk
  Request request(kFamily, LUNATIK_CMD_SEND, LUNATIK_GENL_VERSION, 0);
  request.PutString(LUNATIK_ATTR_STATENAME, "s");
  request.PutChunked(LUNATIK_ATTR_DATA, data, LUNATIK_DATA_CHUNK_MAXSIZE);
  Reply reply;
  ASSERT_TRUE(ParseReply(request.header(), &reply));
  EXPECT_EQ(reply.data, data);
  EXPECT_EQ(AttrBytes(reply.attrs[LUNATIK_ATTR_DATA]).size(),
            static_cast<size_t>(LUNATIK_DATA_CHUNK_MAXSIZE));
}

TEST(RequestTest, EmptyDataIsOneEmptyAttribute) {
  Request request(kFamily, LUNATIK_CMD_SEND, LUNATIK_GENL_VERSION, 0);
  request.PutChunked(LUNATIK_ATTR_DATA, "", LUNATIK_DATA_CHUNK_MAXSIZE);
  Reply reply;
  ASSERT_TRUE(ParseReply(request.header(), &reply));
  ASSERT_NE(reply.attrs[LUNATIK_ATTR_DATA], nullptr);
  EXPECT_EQ(reply.data, "");
}

TEST(ParseReplyTest, RefusesAttributeOfWrongSize) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_GETSTATE);
  mnl_attr_put_u32(nlh, LUNATIK_ATTR_MAXALLOC, 5);  // must be a u64
  Reply reply;
  EXPECT_FALSE(ParseReply(nlh, &reply));
}

TEST(ParseReplyTest, RefusesNameWithoutNul) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_GETSTATE);
  mnl_attr_put(nlh, LUNATIK_ATTR_STATENAME, 3, "abc");
  Reply reply;
  EXPECT_FALSE(ParseReply(nlh, &reply));
}

TEST(ParseReplyTest, SkipsUnknownAttributes) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_DATA);
  mnl_attr_put_strz(nlh, LUNATIK_ATTR_STATENAME, "s");
  mnl_attr_put_u32(nlh, LUNATIK_ATTR_MAX + 5, 1);
  Reply reply;
  ASSERT_TRUE(ParseReply(nlh, &reply));
  EXPECT_EQ(AttrString(reply.attrs[LUNATIK_ATTR_STATENAME]), "s");
}

TEST(ParseReplyTest, RefusesMessageWithoutGenlHeader) {
  Buffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = kFamily;
  Reply reply;
  EXPECT_FALSE(ParseReply(nlh, &reply));
}

TEST(ParseAckTest, ReadsExtackFromCappedError) {
  Request request(kFamily, LUNATIK_CMD_NEWSTATE, 1, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, "dup");
  Buffer buf;
  nlmsghdr* nlh =
      PutError(&buf, EEXIST, "state already exists", true, &request);
  Ack ack;
  ASSERT_TRUE(ParseAck(nlh, &ack));
  EXPECT_EQ(ack.error, EEXIST);
  EXPECT_EQ(ack.message, "state already exists");
}

TEST(ParseAckTest, ReadsExtackAfterEchoedRequest) {
  Request request(kFamily, LUNATIK_CMD_DOSTRING, 1, NLM_F_ACK);
  request.PutString(LUNATIK_ATTR_STATENAME, "s");
  request.PutBinary(LUNATIK_ATTR_CODE, "return 1 + ");
  Buffer buf;
  nlmsghdr* nlh = PutError(&buf, EINVAL, "bad fragment", false, &request);
  Ack ack;
  ASSERT_TRUE(ParseAck(nlh, &ack));
  EXPECT_EQ(ack.error, EINVAL);
  EXPECT_EQ(ack.message, "bad fragment");
}

TEST(ParseAckTest, AckWithoutText) {
  Request request(kFamily, LUNATIK_CMD_DELSTATE, 1, NLM_F_ACK);
  Buffer buf;
  nlmsghdr* nlh = PutError(&buf, 0, nullptr, true, &request);
  Ack ack;
  ASSERT_TRUE(ParseAck(nlh, &ack));
  EXPECT_EQ(ack.error, 0);
  EXPECT_EQ(ack.message, "");
}

TEST(ParseAckTest, DoneOfDumpWithError) {
  Buffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_DONE;
  nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
  const int error = -EPERM;
  std::memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error,
              sizeof(error));
  mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "needs CAP_SYS_ADMIN");
  Ack ack;
  ASSERT_TRUE(ParseAck(nlh, &ack));
  EXPECT_EQ(ack.error, EPERM);
  EXPECT_EQ(ack.message, "needs CAP_SYS_ADMIN");
}

TEST(ParseAckTest, RefusesTruncatedError) {
  Buffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  mnl_nlmsg_put_extra_header(nlh, sizeof(int));
  Ack ack;
  EXPECT_FALSE(ParseAck(nlh, &ack));
}

TEST(ParseAckTest, RefusesPositiveErrno) {
  Request request(kFamily, LUNATIK_CMD_DELSTATE, 1, NLM_F_ACK);
  Buffer buf;
  nlmsghdr* nlh = PutError(&buf, -5, nullptr, true, &request);
  Ack ack;
  EXPECT_FALSE(ParseAck(nlh, &ack));
}

TEST(ParseResultsTest, DecodesEveryValueType) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_DOSTRING);
  nlattr* nest = mnl_attr_nest_start(nlh, LUNATIK_ATTR_RESULTS);
  mnl_attr_put(nlh, LUNATIK_VALUE_NIL, 0, nullptr);
  mnl_attr_put_u8(nlh, LUNATIK_VALUE_BOOLEAN, 1);
  mnl_attr_put_u64(nlh, LUNATIK_VALUE_INTEGER, static_cast<uint64_t>(-42));
  mnl_attr_put(nlh, LUNATIK_VALUE_STRING, 3, "a\0b");
  mnl_attr_put(nlh, LUNATIK_VALUE_STRING, 0, nullptr);
  mnl_attr_nest_end(nlh, nest);

  Reply reply;
  ASSERT_TRUE(ParseReply(nlh, &reply));
  std::vector<Value> values;
  ASSERT_TRUE(ParseResults(reply.attrs[LUNATIK_ATTR_RESULTS], &values));
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values[0].type(), Value::Type::kNil);
  EXPECT_EQ(values[1].type(), Value::Type::kBoolean);
  EXPECT_TRUE(values[1].boolean());
  EXPECT_EQ(values[2].integer(), -42);
  EXPECT_EQ(values[3].string(), std::string("a\0b", 3));
  EXPECT_EQ(values[4].string(), "");
  EXPECT_EQ(values[2].ToString(), "-42");
  EXPECT_EQ(values[0].ToString(), "nil");
}

TEST(ParseResultsTest, RefusesUnknownValueType) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_DOSTRING);
  nlattr* nest = mnl_attr_nest_start(nlh, LUNATIK_ATTR_RESULTS);
  mnl_attr_put_u8(nlh, LUNATIK_VALUE_MAX + 1, 0);
  mnl_attr_nest_end(nlh, nest);
  Reply reply;
  ASSERT_TRUE(ParseReply(nlh, &reply));
  std::vector<Value> values;
  EXPECT_FALSE(ParseResults(reply.attrs[LUNATIK_ATTR_RESULTS], &values));
}

TEST(ParseResultsTest, RefusesShortInteger) {
  Buffer buf;
  nlmsghdr* nlh = PutLunatik(&buf, LUNATIK_CMD_DOSTRING);
  nlattr* nest = mnl_attr_nest_start(nlh, LUNATIK_ATTR_RESULTS);
  mnl_attr_put_u32(nlh, LUNATIK_VALUE_INTEGER, 1);
  mnl_attr_nest_end(nlh, nest);
  Reply reply;
  ASSERT_TRUE(ParseReply(nlh, &reply));
  std::vector<Value> values;
  EXPECT_FALSE(ParseResults(reply.attrs[LUNATIK_ATTR_RESULTS], &values));
}

TEST(FamilyTest, RequestNamesTheFamily) {
  Request request = FamilyRequest("lunatik");
  const nlmsghdr* nlh = request.header();
  EXPECT_EQ(nlh->nlmsg_type, GENL_ID_CTRL);
  const auto* genl = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(genl->cmd, CTRL_CMD_GETFAMILY);
  const auto* attr = static_cast<const nlattr*>(
      mnl_nlmsg_get_payload_offset(nlh, sizeof(genlmsghdr)));
  EXPECT_EQ(mnl_attr_get_type(attr), CTRL_ATTR_FAMILY_NAME);
  EXPECT_STREQ(mnl_attr_get_str(attr), "lunatik");
}

TEST(FamilyTest, ReadsIdFromControllerReply) {
  Buffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  auto* genl = static_cast<genlmsghdr*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_NEWFAMILY;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "lunatik");
  mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 31);
  uint16_t id = 0;
  ASSERT_TRUE(ParseFamilyId(nlh, &id));
  EXPECT_EQ(id, 31);
}

TEST(FamilyTest, ReplyWithoutIdIsRefused) {
  Buffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr));
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "lunatik");
  uint16_t id = 0;
  EXPECT_FALSE(ParseFamilyId(nlh, &id));
}

}  // namespace
}  // namespace lunatik::netlink
