// lunatik-fuzz: sends random and mutated generic netlink messages to the
// lunatik family and checks that every answer is well-formed and timely,
// that documented corner cases (fragmented uploads, dumps, data) behave as
// include/uapi/linux/lunatik.h says, and that no state it created is left.
// docs/testing.md describes what it covers.
#include <linux/netlink.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "mutator.h"
#include "uapi/linux/lunatik.h"
#include "wire.h"

namespace lunatik_fuzz {
namespace {

struct Options {
  uint64_t seed = 0;
  uint64_t count = 1000;    // fuzzed datagrams; 0: no limit
  uint64_t messages = 0;    // messages sent in all; 0: no limit
  double seconds = 0;       // 0: no limit
  int batch = 64;           // most messages in a batched datagram; 1: none
  int scenario_every = 25;  // fuzzed datagrams between two scenarios
  int timeout_ms = 20000;
  int dump_states = 100;  // enough for a dump of several parts
  bool verbose = false;
};

// States the fuzzer keeps so that mutated requests reach real code.
struct BaseState {
  const char* name;
  uint64_t maxalloc;
  const char* code;
};

const BaseState kBaseStates[] = {
    {"fz-base", LUNATIK_DEFAULT_MAXALLOC, "x = 0"},
    {"fz-cb", LUNATIK_DEFAULT_MAXALLOC,
     "function receive_callback(m) calls = (calls or 0) + 1 end"},
    {"fz-echo", LUNATIK_DEFAULT_MAXALLOC,
     "function receive_callback(m) return netlink.send(m) end"},
    {"fz-small", LUNATIK_MIN_MAXALLOC, "t = {}"},
};

const std::vector<std::string> kChunks = {
    "return 1",
    "return 'a', nil, true, false, 2^53, -1, 1.5, math.mininteger",
    "return ...",
    "local t = {} for i = 1, 1000 do t[i] = i end return #t",
    "error('fz boom')",
    "error({})",
    "return string.rep('x', 1000)",
    "return string.rep('x', 70000)",  // results over their limit
    "return +",
    "x = (x or 0) + 1 return x",
    "return tostring({}), print, coroutine.create(print)",
    "local s = {} for i = 1, 1e6 do s[i] = i end",  // the memory limit
    "return '\\0embedded\\0'",
    "\x1bLua",
};

// Chunks that cost the kernel little: the bulk of a batch.
const std::vector<std::string> kCheapChunks = {
    "return 1",
    "return ...",
    "return 'a', nil, true, false, 2^53, -1, 1.5, math.mininteger",
    "error('fz boom')",
    "return +",
    "x = (x or 0) + 1 return x",
    "\x1bLua",
    "",
};

Attr NameAttr(const std::string& name) {
  return {LUNATIK_ATTR_STATENAME, Strz(name)};
}

std::string ChunkOfLength(size_t filler) {
  return "return #[[" + std::string(filler, 'x') + "]]";
}

// The final answer to each message of an Outcome, by sequence number.
std::map<uint32_t, CallResult> BySeq(const Outcome& out) {
  std::map<uint32_t, CallResult> results;
  for (const Reply& m : out.replies) {
    CallResult& r = results[m.seq];
    if (m.is_terminator()) {
      r.complete = true;
      r.error = m.error;
      r.extack_message = m.extack_message;
    } else {
      r.messages.push_back(m);
    }
  }
  return results;
}

// Whether a datagram holds the end of a dump; reads only the bytes, so
// any thread may call it.
bool EndsDump(const std::string& datagram) {
  size_t at = 0;
  while (datagram.size() - at >= NLMSG_HDRLEN) {
    nlmsghdr h;
    std::memcpy(&h, datagram.data() + at, sizeof(h));
    if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) return true;
    if (h.nlmsg_len < NLMSG_HDRLEN) return true;  // malformed: stop reading
    at += NLMSG_ALIGN(h.nlmsg_len);
    if (at > datagram.size()) break;
  }
  return false;
}

class Fuzzer {
 public:
  explicit Fuzzer(const Options& options)
      : options_(options), rng_(options.seed), main_(&context_) {
    context_.timeout_ms = options.timeout_ms;
  }

  int Run();

 private:
  using Clock = std::chrono::steady_clock;

  Request Make(uint8_t cmd, std::vector<Attr> attrs = {},
               uint16_t flags = NLM_F_REQUEST | NLM_F_ACK) const {
    Request request;
    request.nlmsg_type = context_.family;
    request.flags = flags;
    request.cmd = cmd;
    request.version = LUNATIK_GENL_VERSION;
    request.attrs = std::move(attrs);
    return request;
  }
  std::unique_ptr<Connection> Connect();

  // Checks of documented behaviour; each records a failure on mismatch.
  bool ExpectErrno(const CallResult& r, const std::vector<int>& errnos,
                   const std::string& what);
  bool ExpectOk(const CallResult& r, const std::string& what) {
    return ExpectErrno(r, {0}, what);
  }
  void ExpectInteger(const CallResult& r, int64_t want,
                     const std::string& what);

  bool Setup();
  bool EnsureBaseStates();
  bool Dump(Connection* c, std::vector<std::string>* names, bool* intr);
  void DeleteCreated();
  bool Cleanup();
  bool OutOfTime() const;
  // Runs @part, adding its time and messages to spent_[@what].
  void Timed(const std::string& what, const std::function<void()>& part) {
    const auto begin = Clock::now();
    const uint64_t messages = context_.messages;
    part();
    auto& [seconds, sent] = spent_[what];
    seconds += std::chrono::duration<double>(Clock::now() - begin).count();
    sent += context_.messages - messages;
  }

  Request ValidRequest();
  Request CheapRequest();
  std::string AnyState();
  void FuzzOne();
  void FuzzBatch();
  bool Done() const;
  void NoteCreated(const std::vector<Reply>& replies);
  // Sends one fuzzed datagram, labelled @kind and @what, on the main
  // socket and checks its answers.
  void SendFuzzed(const char* kind, const std::string& what, std::string bytes);

  // Fragment uploads: sends @chunk from @c to @state in pieces of at most
  // @piece bytes; returns the answer to the last piece.
  CallResult Upload(Connection* c, const std::string& state,
                    const std::string& chunk, size_t piece);
  Request Fragment(const std::string& state, const std::string& chunk,
                   uint32_t offset, size_t len, uint32_t total) const;

  void ScenarioUpload();
  void ScenarioUploadOutOfOrder();
  void ScenarioUploadTwoSockets();
  void ScenarioUploadSocketClosed();
  void ScenarioUploadStateDeleted();
  void ScenarioDumps();
  void ScenarioDumpInterrupted();
  void ScenarioManyData();
  void ScenarioMultiMessage();
  void ScenarioReceiverGone();
  void ScenarioReceiverFull();
  void ScenarioDefaultBuffer();
  void ScenarioLimits();
  void ScenarioUploadsRacingDelete();
  void ScenarioDumpsAbandonedWhileDestroyed();
  void ScenarioReceiverClosingDuringSend();
  void ScenarioNetnsTeardown();
  int NetnsChild();

  Options options_;
  Rng rng_;
  Context context_;
  Connection main_;
  Clock::time_point start_;
  uint32_t baseline_states_ = 0;
  uint64_t fuzzed_ = 0;
  uint64_t scenarios_run_ = 0;
  uint64_t next_name_ = 0;
  bool has_netlink_send_ = false;
  std::set<std::string> created_;  // fuzz-created states that may live
  std::map<std::string, std::pair<double, uint64_t>> spent_;
};

std::unique_ptr<Connection> Fuzzer::Connect() {
  auto c = std::make_unique<Connection>(&context_);
  if (auto error = c->Open()) {
    context_.Fail("opening a socket: " + *error);
    return nullptr;
  }
  return c;
}

bool Fuzzer::ExpectErrno(const CallResult& r, const std::vector<int>& errnos,
                         const std::string& what) {
  if (!r.complete) return false;  // the failure is already recorded
  for (int e : errnos) {
    if (r.error == e || (e == 0 && r.error == -1)) return true;
  }
  std::string want;
  for (int e : errnos)
    want += (want.empty() ? "" : " or ") + (e ? ErrnoName(e) : "success");
  context_.Fail("spec: " + what + ": expected " + want + ", got " +
                (r.error > 0 ? ErrnoName(r.error) : "success") +
                (r.extack_message ? " (" + *r.extack_message + ")" : ""));
  return false;
}

void Fuzzer::ExpectInteger(const CallResult& r, int64_t want,
                           const std::string& what) {
  if (!ExpectOk(r, what)) return;
  for (const Reply& m : r.messages) {
    if (m.results && m.results->size() == 1 &&
        (*m.results)[0].kind == LUNATIK_VALUE_INTEGER &&
        (*m.results)[0].integer == want) {
      return;
    }
    if (m.lua_error) {
      context_.Fail("spec: " + what + ": Lua error " + *m.lua_error);
      return;
    }
  }
  context_.Fail("spec: " + what + ": no result " + std::to_string(want));
}

bool Fuzzer::OutOfTime() const {
  if (options_.seconds <= 0) return false;
  return Clock::now() - start_ >=
         std::chrono::duration<double>(options_.seconds);
}

bool Fuzzer::Dump(Connection* c, std::vector<std::string>* names, bool* intr) {
  Outcome out = c->Exchange(
      Serialize(Make(LUNATIK_CMD_GETSTATE, {}, NLM_F_REQUEST | NLM_F_DUMP)));
  *intr = false;
  bool done = false;
  for (const Reply& m : out.replies) {
    if (m.flags & NLM_F_DUMP_INTR) *intr = true;
    if (m.type == NLMSG_DONE) done = true;
    if (m.type == NLMSG_ERROR) {
      context_.Fail("dump refused: " + ErrnoName(m.error));
      return false;
    }
    if (m.state_name) names->push_back(*m.state_name);
  }
  return out.complete && done;
}

bool Fuzzer::EnsureBaseStates() {
  for (const BaseState& base : kBaseStates) {
    CallResult get =
        main_.Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr(base.name)}));
    if (!get.complete) return false;
    if (get.error == 0) continue;
    CallResult made = main_.Call(Make(
        LUNATIK_CMD_NEWSTATE,
        {NameAttr(base.name), {LUNATIK_ATTR_MAXALLOC, U64(base.maxalloc)}}));
    if (!ExpectOk(made, std::string("creating ") + base.name)) return false;
    CallResult run =
        main_.Call(Make(LUNATIK_CMD_DOSTRING,
                        {NameAttr(base.name), {LUNATIK_ATTR_CODE, base.code}}));
    if (!ExpectOk(run, std::string("setting up ") + base.name)) return false;
  }
  return true;
}

bool Fuzzer::Setup() {
  if (auto error = main_.Open()) {
    std::fprintf(stderr, "lunatik-fuzz: %s\n", error->c_str());
    return false;
  }
  GenlSocket resolver;
  std::string error;
  if (auto open_error = resolver.Open()) {
    std::fprintf(stderr, "lunatik-fuzz: %s\n", open_error->c_str());
    return false;
  }
  context_.family = resolver.ResolveFamily(LUNATIK_GENL_NAME, &error);
  if (!context_.family) {
    std::fprintf(stderr, "lunatik-fuzz: resolving '%s': %s\n",
                 LUNATIK_GENL_NAME, error.c_str());
    return false;
  }

  // States left by an earlier run that died are ours by their prefix.
  std::vector<std::string> names;
  bool intr;
  if (!Dump(&main_, &names, &intr)) return false;
  for (const std::string& name : names) {
    if (name.rfind(kNamePrefix, 0) != 0) continue;
    std::printf("# removing leftover state %s\n", name.c_str());
    main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)}));
  }
  CallResult limits = main_.Call(Make(LUNATIK_CMD_LIMITS));
  if (!ExpectOk(limits, "LIMITS") || limits.messages.empty()) return false;
  baseline_states_ = *limits.messages[0].nstates;

  if (!EnsureBaseStates()) return false;
  for (int i = 0; i < options_.dump_states; ++i) {
    CallResult made = main_.Call(
        Make(LUNATIK_CMD_NEWSTATE, {NameAttr("fz-d-" + std::to_string(i))}));
    if (!ExpectOk(made, "creating dump states")) return false;
  }
  CallResult probe = main_.Call(
      Make(LUNATIK_CMD_DOSTRING, {NameAttr("fz-base"),
                                  {LUNATIK_ATTR_CODE,
                                   "return type(netlink) == 'table' and "
                                   "type(netlink.send) == 'function'"}}));
  for (const Reply& m : probe.messages) {
    has_netlink_send_ = m.results && m.results->size() == 1 &&
                        (*m.results)[0].kind == LUNATIK_VALUE_BOOLEAN &&
                        (*m.results)[0].integer == 1;
  }
  if (!has_netlink_send_) {
    context_.Note("states have no netlink.send(): data echo unchecked", "");
  }
  return context_.failures == 0;
}

std::string Fuzzer::AnyState() {
  const uint64_t pick = rng_.Below(10);
  if (pick < 5) return kBaseStates[rng_.Below(std::size(kBaseStates))].name;
  if (pick < 7 && !created_.empty()) {
    auto it = created_.begin();
    std::advance(it, rng_.Below(created_.size()));
    return *it;
  }
  if (pick < 9)
    return "fz-d-" + std::to_string(rng_.Below(options_.dump_states + 1));
  return "fz-none";
}

Request Fuzzer::ValidRequest() {
  switch (rng_.Below(10)) {
    case 0:
      return Make(LUNATIK_CMD_LIMITS);
    case 1: {
      std::vector<Attr> attrs = {
          NameAttr("fz-n" + std::to_string(next_name_++))};
      if (rng_.OneIn(2)) {
        attrs.push_back({LUNATIK_ATTR_MAXALLOC,
                         U64(LUNATIK_MIN_MAXALLOC + rng_.Below(4 << 20))});
      }
      return Make(LUNATIK_CMD_NEWSTATE, std::move(attrs));
    }
    case 2:
      return Make(
          LUNATIK_CMD_DELSTATE,
          {NameAttr(created_.empty() || rng_.OneIn(4) ? AnyState()
                                                      : *created_.begin())});
    case 3:
      return Make(LUNATIK_CMD_GETSTATE, {NameAttr(AnyState())});
    case 4:
      return Make(LUNATIK_CMD_GETSTATE, {},
                  NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
    case 5:
    case 6: {
      std::vector<Attr> attrs = {NameAttr(AnyState()),
                                 {LUNATIK_ATTR_CODE, rng_.Pick(kChunks)}};
      if (rng_.OneIn(2))
        attrs.push_back({LUNATIK_ATTR_CODENAME, Strz("fz-chunk")});
      return Make(LUNATIK_CMD_DOSTRING, std::move(attrs));
    }
    case 7: {
      // The first fragment of a chunk, or a whole chunk as one fragment.
      const std::string chunk = ChunkOfLength(rng_.Below(100));
      const auto total = static_cast<uint32_t>(
          chunk.size() + (rng_.OneIn(2) ? 0 : rng_.Below(100)));
      return Fragment(AnyState(), chunk, 0, chunk.size(), total);
    }
    case 8:
      if (rng_.OneIn(2))
        return Make(LUNATIK_CMD_CANCEL, {NameAttr(AnyState())});
      [[fallthrough]];
    default: {
      static const char* kTargets[] = {"fz-cb", "fz-echo", "fz-base",
                                       "fz-small"};
      std::vector<Attr> attrs = {NameAttr(kTargets[rng_.Below(4)])};
      const uint64_t chunks = 1 + rng_.Below(3);
      for (uint64_t i = 0; i < chunks; ++i) {
        attrs.push_back({LUNATIK_ATTR_DATA, rng_.Bytes(rng_.Below(200))});
      }
      return Make(LUNATIK_CMD_SEND, std::move(attrs));
    }
  }
}

void Fuzzer::NoteCreated(const std::vector<Reply>& replies) {
  for (const Reply& m : replies) {
    if (m.cmd == LUNATIK_CMD_NEWSTATE && m.state_name) {
      created_.insert(*m.state_name);
    }
  }
}

void Fuzzer::SendFuzzed(const char* kind, const std::string& what,
                        std::string bytes) {
  context_.label =
      std::string(kind) + " " + std::to_string(fuzzed_) + ": " + what;
  if (options_.verbose) std::printf("# %s\n", context_.label.c_str());
  Outcome out = main_.Exchange(std::move(bytes));
  NoteCreated(out.replies);
  ++fuzzed_;
}

void Fuzzer::FuzzOne() {
  const uint64_t parts = rng_.OneIn(8) ? 2 + rng_.Below(4) : 1;
  std::string bytes;
  std::string what;
  for (uint64_t part = 0; part < parts; ++part) {
    Request request = ValidRequest();
    what += (part ? " | " : "") + CommandName(request.cmd) + ":";
    const uint64_t mutations = rng_.OneIn(6) ? 0 : 1 + rng_.Below(3);
    for (uint64_t i = 0; i < mutations; ++i) {
      what += " " + MutateFields(&rng_, &request) + ";";
    }
    std::string message = Serialize(request);
    if (rng_.OneIn(4)) what += " " + MutateBytes(&rng_, &message) + ";";
    bytes += message;
  }
  SendFuzzed("fuzzed datagram", what, std::move(bytes));
}

// Mostly requests the kernel answers at once or refuses in its policy:
// LIMITS, GETSTATE, small DOSTRING and SEND, misaddressed DELSTATE and
// CANCEL; now and then any valid request (NEWSTATE, long chunks).
Request Fuzzer::CheapRequest() {
  // Without NLM_F_ACK a reply is the whole answer: fewer datagrams.
  const uint16_t flags =
      rng_.OneIn(2) ? NLM_F_REQUEST : NLM_F_REQUEST | NLM_F_ACK;
  switch (rng_.Below(64)) {
    case 0:
    case 1: {
      // Lua runs in the state's worker: a hundred times a LIMITS' cost.
      static const char* kTargets[] = {"fz-base", "fz-cb", "fz-small"};
      return Make(LUNATIK_CMD_DOSTRING,
                  {NameAttr(kTargets[rng_.Below(3)]),
                   {LUNATIK_ATTR_CODE, rng_.Pick(kCheapChunks)}});
    }
    case 2:
      return Make(LUNATIK_CMD_SEND,
                  {NameAttr("fz-cb"), {LUNATIK_ATTR_DATA, rng_.Bytes(8)}});
    case 3:
      // Any request, the expensive ones (NEWSTATE, dumps, long chunks)
      // among them.
      return ValidRequest();
    case 4:
    case 5:
    case 6:
    case 7: {
      const std::string chunk = ChunkOfLength(rng_.Below(20));
      return Fragment("fz-none", chunk, 0, chunk.size(),
                      static_cast<uint32_t>(chunk.size()));
    }
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
      return Make(rng_.OneIn(2) ? LUNATIK_CMD_DELSTATE : LUNATIK_CMD_CANCEL,
                  {NameAttr("fz-none")});
    default:
      // FuzzBatch() mutates half of these: refused ones.
      if (rng_.OneIn(3)) return Make(LUNATIK_CMD_LIMITS, {}, flags);
      return Make(LUNATIK_CMD_GETSTATE, {NameAttr(AnyState())}, flags);
  }
}

bool Fuzzer::Done() const {
  return (options_.count && fuzzed_ >= options_.count) ||
         (options_.messages && context_.messages >= options_.messages) ||
         OutOfTime();
}

// Many messages in one datagram, answered together: the kernel's message
// rate, not the round trip, sets the pace. Only the last message may get a
// byte mutation, so that the kernel reads all the others.
void Fuzzer::FuzzBatch() {
  // Error answers echo their request: the batch stays far below the
  // receive buffer (1 MiB) with its answers.
  constexpr size_t kMaxBytes = 64 << 10;
  const uint64_t parts = 1 + rng_.Below(options_.batch);
  std::string bytes;
  std::string what;
  for (uint64_t part = 0; part < parts; ++part) {
    Request request = CheapRequest();
    std::string label = CommandName(request.cmd);
    if (rng_.OneIn(2)) label += " " + MutateFields(&rng_, &request);
    // A dump lists every state in several parts: few of them here.
    if ((request.flags & NLM_F_DUMP) == NLM_F_DUMP && !rng_.OneIn(8))
      request.flags &= ~NLM_F_DUMP;
    std::string message = Serialize(request);
    if (part + 1 == parts && rng_.OneIn(8))
      label += " " + MutateBytes(&rng_, &message);
    if (!bytes.empty() && bytes.size() + message.size() > kMaxBytes) break;
    what += (part ? " | " : "") + label;
    bytes += message;
  }
  SendFuzzed("batch", what, std::move(bytes));
}

void Fuzzer::DeleteCreated() {
  context_.label = "deleting fuzz-created states";
  for (const std::string& name : created_) {
    bool base = false;
    for (const BaseState& b : kBaseStates) base = base || name == b.name;
    if (base || name.rfind("fz-d-", 0) == 0) continue;
    ExpectErrno(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
                {0, ENOENT}, "deleting " + name);
  }
  created_.clear();
}

Request Fuzzer::Fragment(const std::string& state, const std::string& chunk,
                         uint32_t offset, size_t len, uint32_t total) const {
  return Make(LUNATIK_CMD_DOSTRING,
              {NameAttr(state),
               {LUNATIK_ATTR_CODE, chunk.substr(offset, len)},
               {LUNATIK_ATTR_CODE_TOTAL, U32(total)},
               {LUNATIK_ATTR_CODE_OFFSET, U32(offset)}});
}

CallResult Fuzzer::Upload(Connection* c, const std::string& state,
                          const std::string& chunk, size_t piece) {
  const auto total = static_cast<uint32_t>(chunk.size());
  for (uint32_t offset = 0;; offset += piece) {
    const size_t len = std::min(piece, chunk.size() - offset);
    CallResult r = c->Call(Fragment(state, chunk, offset, len, total));
    if (offset + len == chunk.size()) return r;
    if (!ExpectOk(r, "fragment at " + std::to_string(offset)) ||
        !r.messages.empty()) {
      if (!r.messages.empty()) context_.Fail("spec: a fragment got a reply");
      return r;
    }
  }
}

void Fuzzer::ScenarioUpload() {
  const size_t filler = 1 + rng_.Below(80000);
  const std::string chunk = ChunkOfLength(filler);
  const size_t piece = std::max<size_t>(
      chunk.size() / 40 + 1, 1 + rng_.Below(LUNATIK_FRAGMENT_MAXSIZE));
  context_.label = "upload of " + std::to_string(chunk.size()) +
                   " bytes in pieces of " + std::to_string(piece);
  ExpectInteger(Upload(&main_, "fz-base", chunk, piece),
                static_cast<int64_t>(filler), "fragmented upload");

  // A Lua error's traceback names the chunk's codename.
  Request named = Fragment("fz-base", "error('fz')", 0, 11, 11);
  named.attrs.push_back({LUNATIK_ATTR_CODENAME, Strz("fz-named-chunk")});
  CallResult r = main_.Call(named);
  if (ExpectOk(r, "failing fragment") &&
      (r.messages.empty() || !r.messages[0].lua_error ||
       r.messages[0].lua_error->find("fz-named-chunk") == std::string::npos)) {
    context_.Fail("spec: a Lua error does not name the codename");
  }
}

void Fuzzer::ScenarioUploadOutOfOrder() {
  const std::string chunk = ChunkOfLength(100 + rng_.Below(5000));
  const auto total = static_cast<uint32_t>(chunk.size());
  const uint32_t first = 10 + static_cast<uint32_t>(rng_.Below(total / 2));
  const uint64_t kind = rng_.Below(5);
  static const char* kKinds[] = {"gap", "overlap", "other total",
                                 "past the total", "restart past its total"};
  context_.label = std::string("out-of-order upload: ") + kKinds[kind];
  if (!ExpectOk(main_.Call(Fragment("fz-base", chunk, 0, first, total)),
                "first fragment")) {
    return;
  }
  Request bad;
  switch (kind) {
    case 0:
      bad = Fragment("fz-base", chunk, first + 1, 5, total);
      break;
    case 1:
      bad = Fragment("fz-base", chunk, first - 1, 5, total);
      break;
    case 2:
      bad = Fragment("fz-base", chunk, first, 5, total + 1);
      break;
    case 3:
      bad = Fragment("fz-base", chunk + "xxxxxxxx", first, total - first + 8,
                     total);
      break;
    default:
      // A new first fragment longer than its own total, while the upload
      // is under way: both buffers must go (the old one once leaked).
      bad = Fragment("fz-base", chunk, 0, 20, 10);
      break;
  }
  ExpectErrno(main_.Call(bad), {EINVAL}, context_.label);
  // The upload was dropped: its next right fragment is out of order too.
  ExpectErrno(
      main_.Call(Fragment("fz-base", chunk, first, total - first, total)),
      {EINVAL}, "fragment after a dropped upload");
  ExpectInteger(Upload(&main_, "fz-base", chunk, LUNATIK_FRAGMENT_MAXSIZE),
                total - 12, "upload after a dropped one");
}

void Fuzzer::ScenarioUploadTwoSockets() {
  context_.label = "uploads from two sockets to one state";
  auto other = Connect();
  if (!other) return;
  const std::string chunk = ChunkOfLength(3000 + rng_.Below(3000));
  const auto total = static_cast<uint32_t>(chunk.size());
  if (!ExpectOk(main_.Call(Fragment("fz-cb", chunk, 0, 1000, total)),
                "first fragment")) {
    return;
  }
  ExpectErrno(other->Call(Fragment("fz-cb", chunk, 0, 1000, total)), {EBUSY},
              "a second socket starting an upload");
  ExpectErrno(other->Call(Fragment("fz-cb", chunk, 1000, 1000, total)),
              {EINVAL}, "a second socket continuing an upload");
  ExpectInteger(main_.Call(Fragment("fz-cb", chunk, 1000, total - 1000, total)),
                total - 12, "finishing the first socket's upload");
}

void Fuzzer::ScenarioUploadSocketClosed() {
  context_.label = "upload from a socket closed halfway";
  const std::string name = "fz-up-" + std::to_string(next_name_++);
  auto quitter = Connect();
  auto other = Connect();
  if (!quitter || !other) return;
  if (!ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)})),
                "creating " + name)) {
    return;
  }
  const std::string chunk = ChunkOfLength(40000 + rng_.Below(40000));
  if (!ExpectOk(quitter->Call(Fragment(name, chunk, 0, LUNATIK_FRAGMENT_MAXSIZE,
                                       static_cast<uint32_t>(chunk.size()))),
                "first fragment")) {
    return;
  }
  quitter->Close();
  ExpectInteger(Upload(other.get(), name, chunk, LUNATIK_FRAGMENT_MAXSIZE),
                static_cast<int64_t>(chunk.size()) - 12,
                "upload after the first uploader closed");
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
           "deleting " + name);
}

void Fuzzer::ScenarioUploadStateDeleted() {
  context_.label = "upload to a state deleted halfway";
  const std::string name = "fz-up-" + std::to_string(next_name_++);
  if (!ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)})),
                "creating " + name)) {
    return;
  }
  auto uploader = Connect();
  if (!uploader) return;
  const std::string chunk = ChunkOfLength(5000);
  const auto total = static_cast<uint32_t>(chunk.size());
  ExpectOk(uploader->Call(Fragment(name, chunk, 0, 100, total)),
           "first fragment");
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
           "deleting the state");
  ExpectErrno(uploader->Call(Fragment(name, chunk, 100, total - 100, total)),
              {ENOENT}, "fragment to a deleted state");
  // A new state of the same name starts with no upload.
  ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)})),
           "recreating " + name);
  ExpectErrno(uploader->Call(Fragment(name, chunk, 100, total - 100, total)),
              {EINVAL}, "fragment to a recreated state");
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
           "deleting " + name);

  context_.label = "uploads with bad totals and offsets";
  ExpectErrno(main_.Call(Fragment("fz-base", "return 1", 0, 8, 0)),
              {EINVAL, ERANGE}, "total 0");
  ExpectErrno(main_.Call(Fragment("fz-base", "return 1", 0, 8,
                                  LUNATIK_CODE_MAXSIZE + 1)),
              {EINVAL, ERANGE, E2BIG}, "total over LUNATIK_CODE_MAXSIZE");
  ExpectErrno(main_.Call(Fragment("fz-base", "return 1", 0, 8, 4)), {EINVAL},
              "fragment longer than the total");
  Request binary = Fragment("fz-base", "\x1bLuaT", 0, 5, 5);
  ExpectErrno(main_.Call(binary), {EINVAL}, "fragmented binary chunk");
}

void Fuzzer::ScenarioDumps() {
  // Dumps abandoned after their first part (or before it) leave nothing.
  for (int i = 0; i < 3; ++i) {
    context_.label = "dump abandoned halfway";
    auto quitter = Connect();
    if (!quitter) return;
    // Exchange() would read the whole dump: send it bare instead.
    if (!quitter->SendRaw(Serialize(
            Make(LUNATIK_CMD_GETSTATE, {}, NLM_F_REQUEST | NLM_F_DUMP)))) {
      return;
    }
    std::vector<Reply> part;
    if (!rng_.OneIn(4) && !quitter->ReceiveOne(context_.timeout_ms, &part)) {
      context_.hung = true;
      context_.Fail("no first part of a dump");
      return;
    }
    quitter->Close();
  }
  // Fuzzed requests may have deleted some of the dump's states.
  // NEWSTATE builds a whole Lua state before it can find the name taken
  // (costly on the debug kernel): only the missing ones are made again.
  context_.label = "restoring the dump states";
  std::vector<std::string> listed;
  bool listed_intr;
  if (!Dump(&main_, &listed, &listed_intr)) return;
  const std::set<std::string> present(listed.begin(), listed.end());
  std::string restores;
  for (int i = 0; i < options_.dump_states; ++i) {
    const std::string name = "fz-d-" + std::to_string(i);
    if (!present.contains(name))
      restores += Serialize(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)}));
  }
  if (!restores.empty()) {
    Outcome restored = main_.Exchange(std::move(restores));
    std::map<uint32_t, CallResult> answers = BySeq(restored);
    for (const SentMessage& m : restored.sent) {
      ExpectErrno(answers[m.seq], {0, EEXIST}, "restoring a dump state");
    }
  }
  context_.label = "complete dump";
  std::vector<std::string> names;
  bool intr;
  if (!Dump(&main_, &names, &intr)) return;
  std::set<std::string> unique(names.begin(), names.end());
  if (unique.size() != names.size()) {
    context_.Fail("spec: a dump listed a state twice");
  }
  for (int i = 0; i < options_.dump_states && !intr; ++i) {
    if (!unique.contains("fz-d-" + std::to_string(i))) {
      context_.Fail("spec: a dump missed fz-d-" + std::to_string(i));
      break;
    }
  }
}

void Fuzzer::ScenarioDumpInterrupted() {
  context_.label = "dump racing with a deletion";
  auto reader = Connect();
  if (!reader) return;
  if (!reader->SendRaw(Serialize(Make(
          LUNATIK_CMD_GETSTATE, {}, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)))) {
    return;
  }
  // The first part is built at once; the rest only as the reader reads,
  // so a change now falls between parts.
  const std::string victim = "fz-d-" + std::to_string(rng_.Below(10));
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(victim)})),
              {0, ENOENT}, "deleting " + victim);
  ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(victim)})),
           "recreating " + victim);
  bool first = true;
  bool single_part = false;
  bool intr_later = false;
  bool done = false;
  while (!done) {
    std::vector<Reply> part;
    if (!reader->ReceiveOne(context_.timeout_ms, &part)) {
      context_.hung = true;
      context_.Fail("dump stalled");
      return;
    }
    for (const Reply& m : part) {
      if (!first && (m.flags & NLM_F_DUMP_INTR)) intr_later = true;
      if (m.is_terminator()) {
        done = true;
        single_part = first;
        if (m.type == NLMSG_ERROR) context_.Fail("dump refused");
      }
    }
    first = false;
  }
  if (!single_part && !intr_later) {
    context_.Fail(
        "spec: a dump that raced with a change lacks NLM_F_DUMP_INTR");
  }
}

void Fuzzer::ScenarioManyData() {
  context_.label = "SEND with many data attributes";
  auto send = [&](size_t chunks, size_t size) {
    std::vector<Attr> attrs = {NameAttr("fz-cb")};
    for (size_t i = 0; i < chunks; ++i) {
      attrs.push_back({LUNATIK_ATTR_DATA, std::string(size, 'd')});
    }
    return main_.Call(Make(LUNATIK_CMD_SEND, std::move(attrs)));
  };
  CallResult before = main_.Call(
      Make(LUNATIK_CMD_DOSTRING,
           {NameAttr("fz-cb"), {LUNATIK_ATTR_CODE, "return calls or 0"}}));
  int64_t calls = 0;
  if (ExpectOk(before, "reading the call count") && !before.messages.empty() &&
      before.messages[0].results && !before.messages[0].results->empty()) {
    calls = (*before.messages[0].results)[0].integer;
  }
  ExpectOk(send(1000, 0), "1000 empty data attributes");
  ExpectOk(send(2, LUNATIK_DATA_CHUNK_MAXSIZE), "LUNATIK_DATA_MAXSIZE of data");
  ExpectOk(send(64, 1024), "64 data attributes of 1 KiB");
  ExpectErrno(send(3, LUNATIK_DATA_CHUNK_MAXSIZE), {E2BIG},
              "data over LUNATIK_DATA_MAXSIZE in 3 attributes");
  ExpectErrno(send(2100, 32), {E2BIG},
              "data over LUNATIK_DATA_MAXSIZE in 2100 attributes");
  ExpectErrno(send(1, LUNATIK_DATA_CHUNK_MAXSIZE + 1), {EINVAL, ERANGE},
              "a data attribute over LUNATIK_DATA_CHUNK_MAXSIZE");
  ExpectErrno(send(0, 0), {EINVAL}, "SEND without data");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_SEND,
                              {NameAttr("fz-none"), {LUNATIK_ATTR_DATA, "x"}})),
              {ENOENT}, "SEND to a missing state");
  ExpectInteger(main_.Call(Make(LUNATIK_CMD_DOSTRING,
                                {NameAttr("fz-cb"),
                                 {LUNATIK_ATTR_CODE, "return calls or 0"}})),
                calls + 3, "receive_callback calls");
}

void Fuzzer::ScenarioMultiMessage() {
  context_.label = "several requests in one datagram";
  const std::string name = "fz-m-" + std::to_string(next_name_++);
  std::string bytes =
      Serialize(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)})) +
      Serialize(Make(LUNATIK_CMD_DOSTRING,
                     {NameAttr(name), {LUNATIK_ATTR_CODE, "return 7"}})) +
      Serialize(Make(LUNATIK_CMD_LIMITS, {}, NLM_F_REQUEST)) +
      Serialize(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)}));
  Outcome out = main_.Exchange(bytes);
  if (!out.complete || out.sent.size() != 4) return;
  // Each request's answers, in order. DOSTRING runs in the state's worker,
  // so its answer may come after those of the requests behind it, and the
  // DELSTATE may catch it still queued (ENOENT) or running (interrupted).
  std::map<uint32_t, std::string> kinds;
  for (const Reply& m : out.replies) kinds[m.seq] += KindOf(m) + ", ";
  const std::string run = kinds[out.sent[1].seq];
  if (kinds[out.sent[0].seq] != "reply NEWSTATE, ack, " ||
      (run != "reply DOSTRING, ack, " &&
       run != "reply DOSTRING (Lua error), ack, " && run != "error ENOENT, ") ||
      kinds[out.sent[2].seq] != "reply LIMITS, " ||
      kinds[out.sent[3].seq] != "ack, ") {
    std::string got;
    for (const auto& [seq, k] : kinds) got += k;
    context_.Fail("spec: answers to four requests in one datagram: " + got);
  }
}

void Fuzzer::ScenarioReceiverGone() {
  context_.label = "SEND to a state whose receiver closed";
  auto receiver = Connect();
  if (!receiver) return;
  ExpectOk(receiver->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
           "GETSTATE from a new receiver");
  receiver->Close();
  CallResult r = main_.Call(Make(
      LUNATIK_CMD_SEND, {NameAttr("fz-echo"), {LUNATIK_ATTR_DATA, "gone"}}));
  ExpectOk(r, "SEND after the receiver closed");
  for (const Reply& m : r.messages) {
    if (m.lua_error) {
      context_.Fail("spec: netlink.send() raised without a receiver: " +
                    *m.lua_error);
    }
  }
  if (!has_netlink_send_) return;
  context_.label = "SEND echoed back by netlink.send()";
  ExpectOk(main_.Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
           "GETSTATE to become the receiver");
  main_.data().clear();
  const std::string payload = rng_.Bytes(1 + rng_.Below(3000));
  ExpectOk(main_.Call(Make(LUNATIK_CMD_SEND, {NameAttr("fz-echo"),
                                              {LUNATIK_ATTR_DATA, payload}})),
           "SEND to the echo state");
  std::string echoed;
  for (const Reply& m : main_.data()) {
    if (m.state_name == "fz-echo") {
      for (const std::string& d : m.data) echoed += d;
    }
  }
  if (echoed != payload) {
    context_.Fail("spec: echoed data differs (" +
                  std::to_string(echoed.size()) + " of " +
                  std::to_string(payload.size()) + " bytes)");
  }
  main_.data().clear();
}

// lunatik.h: the receiver's buffer is the queue, netlink.send() fails when
// it is full, and room stays for the reply to the receiver's own request.
void Fuzzer::ScenarioReceiverFull() {
  if (!has_netlink_send_) return;
  context_.label = "a receiver that does not read its data";
  auto receiver = Connect();
  if (!receiver) return;
  if (!ExpectOk(
          receiver->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
          "GETSTATE to become the receiver")) {
    return;
  }
  const int sends = 64;  // 4 MiB: more than the receiver's buffer holds
  const std::string chunk(LUNATIK_DATA_CHUNK_MAXSIZE, 'q');
  for (int i = 0; i < sends; ++i) {
    CallResult r =
        main_.Call(Make(LUNATIK_CMD_SEND, {NameAttr("fz-echo"),
                                           {LUNATIK_ATTR_DATA, chunk},
                                           {LUNATIK_ATTR_DATA, chunk}}));
    if (!ExpectOk(r, "SEND to a receiver that does not read")) return;
  }
  CallResult r = receiver->Call(
      Make(LUNATIK_CMD_DOSTRING,
           {NameAttr("fz-base"),
            {LUNATIK_ATTR_CODE, "return string.rep('r', 60000)"}}));
  if (ExpectOk(r, "the receiver's own request with a full buffer") &&
      (r.messages.empty() || !r.messages[0].results ||
       r.messages[0].results->size() != 1 ||
       (*r.messages[0].results)[0].text.size() != 60000)) {
    context_.Fail("spec: the receiver's reply lost its results");
  }
  size_t delivered = 0;
  for (const Reply& m : receiver->data()) {
    size_t bytes = 0;
    for (const std::string& d : m.data) bytes += d.size();
    if (bytes != 2 * chunk.size()) {
      context_.Fail("spec: netlink.send() delivered " + std::to_string(bytes) +
                    " of " + std::to_string(2 * chunk.size()) + " bytes");
    }
    ++delivered;
  }
  if (delivered == static_cast<size_t>(sends)) {
    context_.Note("the receiver's buffer never filled", "");
  }
  ExpectOk(main_.Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
           "GETSTATE to take the receiver back");
}

// lunatik.h: a receiver that kept the default buffer gets a message of
// LUNATIK_DATA_MAXSIZE, and smaller ones.
void Fuzzer::ScenarioDefaultBuffer() {
  if (!has_netlink_send_) return;
  context_.label = "a receiver with the default receive buffer";
  auto receiver = Connect();
  if (!receiver) return;
  if (auto error = receiver->UseDefaultReceiveBuffer()) {
    context_.Fail("default receive buffer: " + *error);
    return;
  }
  if (!ExpectOk(
          receiver->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
          "GETSTATE to become the receiver")) {
    return;
  }
  const std::string chunk(LUNATIK_DATA_CHUNK_MAXSIZE, 'd');
  // Small messages only: what a default buffer holds of a 64 KiB one
  // depends on the kernel's allocation sizes (the UAPI header).
  for (const size_t size : {size_t{100}, size_t{4000}}) {
    std::vector<Attr> attrs = {NameAttr("fz-echo")};
    for (size_t at = 0; at < size; at += chunk.size()) {
      attrs.push_back({LUNATIK_ATTR_DATA,
                       chunk.substr(0, std::min(chunk.size(), size - at))});
    }
    if (!ExpectOk(main_.Call(Make(LUNATIK_CMD_SEND, std::move(attrs))),
                  "SEND to a default-buffer receiver")) {
      return;
    }
    receiver->data().clear();
    // The receiver's own request reads what waits on its socket.
    ExpectOk(receiver->Call(Make(LUNATIK_CMD_LIMITS)), "LIMITS");
    size_t bytes = 0;
    for (const Reply& m : receiver->data()) {
      for (const std::string& d : m.data) bytes += d.size();
    }
    if (bytes != size) {
      context_.Fail("spec: a default-buffer receiver got " +
                    std::to_string(bytes) + " of " + std::to_string(size) +
                    " bytes of netlink.send()");
    }
  }
  ExpectOk(main_.Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-echo")})),
           "GETSTATE to take the receiver back");
}

void Fuzzer::ScenarioLimits() {
  context_.label = "documented limits";
  const std::string longest =
      "fz-" + std::string(LUNATIK_STATENAME_MAXSIZE - 3, 'L');
  ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(longest)})),
           "a name of LUNATIK_STATENAME_MAXSIZE bytes");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(longest)})),
              {EEXIST}, "a second state of one name");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(longest + "L")})),
              {EINVAL, ERANGE}, "a name over LUNATIK_STATENAME_MAXSIZE");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr("")})), {EINVAL},
              "an empty name");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {})), {EINVAL},
              "NEWSTATE without a name");
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(longest)})),
           "deleting the long-named state");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(longest)})),
              {ENOENT}, "deleting it twice");
  for (uint64_t maxalloc : {uint64_t{LUNATIK_MIN_MAXALLOC - 1},
                            uint64_t{LUNATIK_MAX_MAXALLOC} + 1, uint64_t{0}}) {
    ExpectErrno(main_.Call(Make(LUNATIK_CMD_NEWSTATE,
                                {NameAttr("fz-range"),
                                 {LUNATIK_ATTR_MAXALLOC, U64(maxalloc)}})),
                {ERANGE}, "maxalloc " + std::to_string(maxalloc));
  }
  const std::string code = "return 1";
  ExpectInteger(
      main_.Call(Make(LUNATIK_CMD_DOSTRING,
                      {NameAttr("fz-base"),
                       {LUNATIK_ATTR_CODE, code},
                       {LUNATIK_ATTR_CODENAME,
                        Strz(std::string(LUNATIK_SCRIPTNAME_MAXSIZE, 'c'))}})),
      1, "a codename of LUNATIK_SCRIPTNAME_MAXSIZE bytes");
  ExpectErrno(main_.Call(Make(
                  LUNATIK_CMD_DOSTRING,
                  {NameAttr("fz-base"),
                   {LUNATIK_ATTR_CODE, code},
                   {LUNATIK_ATTR_CODENAME,
                    Strz(std::string(LUNATIK_SCRIPTNAME_MAXSIZE + 1, 'c'))}})),
              {EINVAL, ERANGE}, "a codename over LUNATIK_SCRIPTNAME_MAXSIZE");
  // An empty chunk is valid Lua, as load("") is: it runs and returns nothing.
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DOSTRING,
                           {NameAttr("fz-base"), {LUNATIK_ATTR_CODE, ""}})),
           "an empty chunk");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_LIMITS, {NameAttr("fz-base")})),
              {EINVAL, EOPNOTSUPP}, "LIMITS with an attribute");
  ExpectErrno(main_.Call(Make(LUNATIK_CMD_DATA, {NameAttr("fz-base")})),
              {EOPNOTSUPP, EINVAL}, "DATA as a request");
}

// Uploads to a few states, checked against a model, while another socket
// deletes and recreates them: a fragment to a deleted state gets -ENOENT,
// the dead upload's next fragment -EINVAL once the name is back. Then the
// rest of each upload goes in one datagram while the other socket deletes
// the state at the same moment, from another thread.
void Fuzzer::ScenarioUploadsRacingDelete() {
  context_.label = "uploads interleaved with DELSTATE from another socket";
  auto uploader = Connect();
  auto deleter = Connect();
  if (!uploader || !deleter) return;
  struct Upload {
    std::string name, chunk;
    size_t filler = 0, piece = 0;
    uint32_t offset = 0;  // of the next fragment of the live upload
    uint32_t stale = 0;   // of the next fragment of an upload deleted
    bool alive = true;
  };
  std::vector<Upload> ups(3);
  const std::string base = "fz-ud-" + std::to_string(next_name_++) + "-";
  for (size_t i = 0; i < ups.size(); ++i) {
    Upload& u = ups[i];
    u.name = base + std::to_string(i);
    u.filler = 1000 + rng_.Below(4000);
    u.chunk = ChunkOfLength(u.filler);
    u.piece = 200 + rng_.Below(1000);
    if (!ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(u.name)})),
                  "creating " + u.name)) {
      return;
    }
  }
  for (int step = 0; step < 30 && !context_.hung; ++step) {
    Upload& u = ups[rng_.Below(ups.size())];
    const auto total = static_cast<uint32_t>(u.chunk.size());
    const uint64_t action = rng_.Below(4);
    if (action == 0) {
      ExpectErrno(deleter->Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(u.name)})),
                  {u.alive ? 0 : ENOENT}, "DELSTATE during an upload");
      if (u.offset) u.stale = u.offset;
      u.alive = false;
      u.offset = 0;
    } else if (action == 1 && !u.alive) {
      ExpectOk(deleter->Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(u.name)})),
               "recreating a state deleted during an upload");
      u.alive = true;
    } else if (u.stale) {
      const size_t len = std::min<size_t>(u.piece, total - u.stale);
      ExpectErrno(
          uploader->Call(Fragment(u.name, u.chunk, u.stale, len, total)),
          {u.alive ? EINVAL : ENOENT},
          u.alive ? "a fragment of an upload whose state was recreated"
                  : "a fragment of an upload whose state was deleted");
      if (u.alive) u.stale = 0;
    } else if (!u.alive) {
      ExpectErrno(
          uploader->Call(Fragment(u.name, u.chunk, 0,
                                  std::min<size_t>(u.piece, total), total)),
          {ENOENT}, "a first fragment to a deleted state");
    } else {
      const size_t len = std::min<size_t>(u.piece, total - u.offset);
      CallResult r =
          uploader->Call(Fragment(u.name, u.chunk, u.offset, len, total));
      if (u.offset + len == total) {
        ExpectInteger(r, static_cast<int64_t>(u.filler),
                      "the last fragment of an upload");
        u.offset = 0;
      } else {
        if (ExpectOk(r, "a fragment") && !r.messages.empty())
          context_.Fail("spec: a fragment got a reply");
        u.offset += static_cast<uint32_t>(len);
      }
    }
  }

  context_.label = "the rest of an upload racing with DELSTATE";
  for (Upload& u : ups) {
    if (context_.hung) return;
    if (!u.alive) {
      ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(u.name)})),
               "recreating " + u.name);
      u.offset = 0;
    }
    const auto total = static_cast<uint32_t>(u.chunk.size());
    std::string fragments;
    for (uint32_t at = u.offset; at < total; at += u.piece) {
      fragments += Serialize(Fragment(
          u.name, u.chunk, at, std::min<size_t>(u.piece, total - at), total));
    }
    Prepared up = uploader->Prepare(std::move(fragments));
    Prepared del = deleter->Prepare(
        Serialize(Make(LUNATIK_CMD_DELSTATE, {NameAttr(u.name)})));
    int up_errno = 0;
    std::thread sender([&] { up_errno = uploader->SendPrepared(up); });
    const int del_errno = deleter->SendPrepared(del);
    sender.join();
    ExpectOk(BySeq(deleter->Finish(del, del_errno))[del.sent[0].seq],
             "DELSTATE racing with an upload");
    Outcome out = uploader->Finish(up, up_errno);
    if (!out.complete) return;
    std::map<uint32_t, CallResult> answers = BySeq(out);
    bool gone = false;
    for (size_t i = 0; i < up.sent.size(); ++i) {
      const CallResult& r = answers[up.sent[i].seq];
      const bool last = i + 1 == up.sent.size();
      if (r.error == ENOENT) {
        gone = true;
      } else if (r.error != 0 || gone) {
        context_.Fail("spec: fragment " + std::to_string(i) + " of " +
                      std::to_string(up.sent.size()) +
                      " racing with DELSTATE: " +
                      (r.error ? ErrnoName(r.error) : "success") +
                      (gone ? " after -ENOENT" : ""));
        break;
      } else if (last) {
        // It ran before the deletion, or was interrupted by it.
        bool fine = false;
        for (const Reply& m : r.messages) {
          fine = fine ||
                 (m.results && m.results->size() == 1 &&
                  (*m.results)[0].integer == static_cast<int64_t>(u.filler)) ||
                 (m.lua_error &&
                  m.lua_error->find("interrupted") != std::string::npos);
        }
        if (!fine)
          context_.Fail(
              "spec: an upload that raced with DELSTATE "
              "returned neither its result nor "
              "\"interrupted\"");
      }
    }
    ExpectErrno(main_.Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr(u.name)})),
                {ENOENT}, "GETSTATE of a state deleted during an upload");
  }
}

// Dumps whose readers read a few parts and close, and one read to its
// end, while another thread's socket deletes every state they list.
void Fuzzer::ScenarioDumpsAbandonedWhileDestroyed() {
  context_.label = "dumps abandoned halfway while their states are deleted";
  const std::string base = "fz-dd-" + std::to_string(next_name_++) + "-";
  const int states = 20;
  std::string creates;
  for (int i = 0; i < states; ++i) {
    creates += Serialize(
        Make(LUNATIK_CMD_NEWSTATE, {NameAttr(base + std::to_string(i))}));
  }
  Outcome made = main_.Exchange(std::move(creates));
  if (!made.complete) return;
  std::map<uint32_t, CallResult> created = BySeq(made);
  for (const SentMessage& m : made.sent) {
    if (!ExpectOk(created[m.seq], "creating " + base + "N")) return;
  }
  struct Reader {
    std::unique_ptr<Connection> c;
    uint64_t parts;  // to read before closing; 0: read to the end
    std::vector<std::string> got;
    int error = 0;
  };
  std::vector<Reader> readers(4);
  for (size_t i = 0; i < readers.size(); ++i) {
    Reader& r = readers[i];
    r.c = Connect();
    if (!r.c) return;
    r.parts = i == 0 ? 0 : rng_.Below(3);
    if (!r.c->SendRaw(
            Serialize(Make(LUNATIK_CMD_GETSTATE, {},
                           NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)))) {
      return;
    }
  }
  const int timeout = context_.timeout_ms;
  std::thread reading([&] {
    for (Reader& r : readers) {
      for (uint64_t n = 0; r.parts == 0 || n < r.parts; ++n) {
        std::string datagram;
        if ((r.error = r.c->ReceiveRaw(timeout, &datagram))) break;
        r.got.push_back(std::move(datagram));
        if (EndsDump(r.got.back())) break;
      }
      if (r.parts) r.c->Close();
    }
  });
  std::vector<int> order(states);
  for (int i = 0; i < states; ++i) order[i] = i;
  for (int i = states - 1; i > 0; --i)
    std::swap(order[i], order[rng_.Below(i + 1)]);
  std::string deletes;
  for (int i : order) {
    deletes += Serialize(
        Make(LUNATIK_CMD_DELSTATE, {NameAttr(base + std::to_string(i))}));
  }
  Outcome deleted = main_.Exchange(std::move(deletes));
  reading.join();
  if (!deleted.complete) return;
  std::map<uint32_t, CallResult> answers = BySeq(deleted);
  for (const SentMessage& m : deleted.sent) {
    ExpectOk(answers[m.seq], "deleting a state a dump is listing");
  }
  for (Reader& r : readers) {
    if (r.error && !(r.error == ETIMEDOUT && r.parts)) {
      if (r.error == ETIMEDOUT) context_.hung = true;
      context_.Fail(
          std::string("a dump racing with deletions: ") +
          (r.error == ETIMEDOUT ? "stalled" : std::strerror(r.error)));
      continue;
    }
    std::vector<Reply> replies;
    for (const std::string& d : r.got) r.c->Accept(d, &replies);
    std::set<std::string> names;
    bool intr = false;
    bool twice = false;
    bool done = false;
    for (const Reply& m : replies) {
      intr = intr || (m.flags & NLM_F_DUMP_INTR);
      if (m.is_terminator()) {
        done = true;
        if (m.error) context_.Fail("dump refused: " + ErrnoName(m.error));
      }
      if (m.state_name && !names.insert(*m.state_name).second) twice = true;
    }
    if (twice && !intr) {
      context_.Fail(
          "spec: a dump racing with deletions listed a state twice "
          "without NLM_F_DUMP_INTR");
    }
    if (!r.parts && !done) context_.Fail("a dump read to its end never ended");
  }
  std::vector<std::string> names;
  bool intr;
  if (!Dump(&main_, &names, &intr)) return;
  for (const std::string& name : names) {
    if (name.rfind(base, 0) == 0) {
      context_.Fail("spec: " + name + " listed after its deletion");
      break;
    }
  }
}

// A state floods its receiver with netlink.send() while the receiver
// closes, or another socket takes it over and closes; the chunk and the
// callback must end normally, and with no receiver left netlink.send()
// sends nothing.
void Fuzzer::ScenarioReceiverClosingDuringSend() {
  if (!has_netlink_send_) return;
  context_.label = "receivers closing while netlink.send() runs";
  const std::string name = "fz-rs-" + std::to_string(next_name_++);
  if (!ExpectOk(main_.Call(Make(LUNATIK_CMD_NEWSTATE, {NameAttr(name)})),
                "creating " + name)) {
    return;
  }
  ExpectOk(
      main_.Call(Make(LUNATIK_CMD_DOSTRING,
                      {NameAttr(name),
                       {LUNATIK_ATTR_CODE,
                        "function flood(n) local sent = 0 for i = 1, n do "
                        "if netlink.send(string.rep('s', 64 + i % 4000)) then "
                        "sent = sent + 1 end end return sent end "
                        "function receive_callback(m) flood(100) end"}})),
      "defining flood()");
  const int kFlood = 200;  // a second or more on the debug kernel
  for (int round = 0; round < 3 && !context_.hung; ++round) {
    auto receiver = Connect();
    auto taker = Connect();
    if (!receiver || !taker) return;
    if (!ExpectOk(receiver->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr(name)})),
                  "GETSTATE to become the receiver")) {
      return;
    }
    const bool send = round == 1;
    Prepared run = main_.Prepare(Serialize(
        send
            ? Make(LUNATIK_CMD_SEND, {NameAttr(name), {LUNATIK_ATTR_DATA, "x"}})
            : Make(LUNATIK_CMD_DOSTRING,
                   {NameAttr(name),
                    {LUNATIK_ATTR_CODE,
                     "return flood(" + std::to_string(kFlood) + ")"}})));
    const auto delay = std::chrono::microseconds(rng_.Below(5000));
    const int err = main_.SendPrepared(run);
    std::this_thread::sleep_for(delay);
    if (round == 2) {
      ExpectOk(taker->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr(name)})),
               "GETSTATE taking the receiver over during netlink.send()");
    }
    receiver->Close();
    taker->Close();
    Outcome out = main_.Finish(run, err);
    if (!out.complete) return;
    CallResult r = BySeq(out)[run.sent[0].seq];
    if (!ExpectOk(r, send ? "SEND whose callback floods a closing receiver"
                          : "DOSTRING flooding a closing receiver")) {
      continue;
    }
    for (const Reply& m : r.messages) {
      if (m.lua_error) {
        context_.Fail("spec: netlink.send() to a closing receiver raised: " +
                      *m.lua_error);
      } else if (m.results && (m.results->size() != 1 ||
                               (*m.results)[0].kind != LUNATIK_VALUE_INTEGER ||
                               (*m.results)[0].integer < 0 ||
                               (*m.results)[0].integer > kFlood)) {
        context_.Fail("spec: flood() returned no count of sent messages");
      }
    }
  }
  ExpectInteger(main_.Call(Make(
                    LUNATIK_CMD_DOSTRING,
                    {NameAttr(name), {LUNATIK_ATTR_CODE, "return flood(10)"}})),
                0, "netlink.send() after the last receiver closed");
  ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
           "deleting " + name);
  main_.data().clear();
}

// What a child process leaves in a network namespace of its own when it
// exits: states (one with a finalizer, one running a chunk with more
// queued behind it), an upload under way, a dump under way, data queued
// for a receiver. The namespace goes with its last socket; the
// kernel must close all of it (kmemleak, the harness's rmmod) and this
// namespace must see none of it.
void Fuzzer::ScenarioNetnsTeardown() {
  context_.label = "a network namespace destroyed with states alive";
  CallResult before = main_.Call(Make(LUNATIK_CMD_LIMITS));
  if (!ExpectOk(before, "LIMITS") || before.messages.empty()) return;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    context_.Fail(std::string("fork: ") + std::strerror(errno));
    return;
  }
  if (pid == 0) _exit(NetnsChild());
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    context_.Fail(
        "the child in a network namespace of its own failed "
        "(status " +
        std::to_string(status) + ")");
  }
  CallResult after = main_.Call(Make(LUNATIK_CMD_LIMITS));
  if (ExpectOk(after, "LIMITS") && !after.messages.empty() &&
      after.messages[0].nstates != before.messages[0].nstates) {
    context_.Fail("spec: another namespace's states counted in this one");
  }
}

int Fuzzer::NetnsChild() {
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "FAIL: unshare(CLONE_NEWNET): %s\n",
                 std::strerror(errno));
    return 1;
  }
  context_.failures = 0;
  context_.label = "in a network namespace about to be destroyed";
  auto c = Connect();
  auto uploader = Connect();
  auto reader = Connect();
  auto receiver = Connect();
  if (!c || !uploader || !reader || !receiver) return 1;
  CallResult limits = c->Call(Make(LUNATIK_CMD_LIMITS));
  if (ExpectOk(limits, "LIMITS") && !limits.messages.empty() &&
      *limits.messages[0].nstates != 0) {
    context_.Fail("spec: a new namespace starts with states");
  }
  const int states = 16;
  std::string creates;
  for (int i = 0; i < states; ++i) {
    creates += Serialize(
        Make(LUNATIK_CMD_NEWSTATE, {NameAttr("fz-ns-" + std::to_string(i))}));
  }
  Outcome made = c->Exchange(std::move(creates));
  std::map<uint32_t, CallResult> created = BySeq(made);
  for (const SentMessage& m : made.sent) {
    if (!ExpectOk(created[m.seq], "creating fz-ns-N")) return 1;
  }
  ExpectOk(
      c->Call(Make(LUNATIK_CMD_DOSTRING,
                   {NameAttr("fz-ns-0"),
                    {LUNATIK_ATTR_CODE,
                     "t = setmetatable({}, {__gc = function() "
                     "local x = 0 for i = 1, 1e4 do x = x + i end end})"}})),
      "a finalizer");
  const std::string chunk = ChunkOfLength(50000);
  ExpectOk(uploader->Call(Fragment("fz-ns-1", chunk, 0, 1000,
                                   static_cast<uint32_t>(chunk.size()))),
           "the first fragment of an upload");
  ExpectOk(receiver->Call(Make(LUNATIK_CMD_GETSTATE, {NameAttr("fz-ns-2")})),
           "GETSTATE to become the receiver");
  ExpectInteger(c->Call(Make(LUNATIK_CMD_DOSTRING,
                             {NameAttr("fz-ns-2"),
                              {LUNATIK_ATTR_CODE,
                               "for i = 1, 20 do netlink.send(string.rep("
                               "'q', 1000)) end return 1"}})),
                1, "data queued for a receiver that never reads");
  // A dump stays under way while its reader's buffer is full: a small
  // buffer filled by answers never read, then the dump.
  if (auto error = reader->SetReceiveBuffer(4096)) {
    context_.Fail(*error);
    return 1;
  }
  std::string fill;
  for (int i = 0; i < 16; ++i) fill += Serialize(Make(LUNATIK_CMD_LIMITS));
  if (!reader->SendRaw(std::move(fill)) ||
      !reader->SendRaw(Serialize(
          Make(LUNATIK_CMD_GETSTATE, {}, NLM_F_REQUEST | NLM_F_DUMP)))) {
    return 1;
  }
  // A chunk that runs until its budget, requests queued behind it.
  std::string queued = Serialize(
      Make(LUNATIK_CMD_DOSTRING,
           {NameAttr("fz-ns-3"), {LUNATIK_ATTR_CODE, "while true do end"}}));
  for (int i = 0; i < 5; ++i) {
    queued +=
        Serialize(Make(LUNATIK_CMD_DOSTRING,
                       {NameAttr("fz-ns-3"), {LUNATIK_ATTR_CODE, "return 1"}}));
  }
  queued += Serialize(
      Make(LUNATIK_CMD_SEND, {NameAttr("fz-ns-0"), {LUNATIK_ATTR_DATA, "x"}}));
  if (!c->SendRaw(std::move(queued))) return 1;
  return context_.failures ? 1 : 0;
}

bool Fuzzer::Cleanup() {
  context_.label = "cleanup";
  std::vector<std::string> names;
  bool intr;
  if (!Dump(&main_, &names, &intr)) return false;
  for (const std::string& name : names) {
    if (name.rfind(kNamePrefix, 0) != 0) continue;
    ExpectOk(main_.Call(Make(LUNATIK_CMD_DELSTATE, {NameAttr(name)})),
             "deleting " + name);
  }
  names.clear();
  if (!Dump(&main_, &names, &intr)) return false;
  for (const std::string& name : names) {
    if (name.rfind(kNamePrefix, 0) == 0) {
      context_.Fail("state " + name + " left after its deletion");
    }
  }
  CallResult limits = main_.Call(Make(LUNATIK_CMD_LIMITS));
  if (!ExpectOk(limits, "LIMITS") || limits.messages.empty()) return false;
  if (*limits.messages[0].nstates != baseline_states_) {
    context_.Fail("leak: LUNATIK_ATTR_NSTATES is " +
                  std::to_string(*limits.messages[0].nstates) +
                  " after cleanup, " + std::to_string(baseline_states_) +
                  " before the run");
  }
  return true;
}

int Fuzzer::Run() {
  start_ = Clock::now();
  std::printf(
      "lunatik-fuzz: seed %llu, count %llu, messages %llu, seconds %g, "
      "batch %d\n",
      static_cast<unsigned long long>(options_.seed),
      static_cast<unsigned long long>(options_.count),
      static_cast<unsigned long long>(options_.messages), options_.seconds,
      options_.batch);
  std::fflush(stdout);
  const std::vector<std::function<void()>> scenarios = {
      [this] { ScenarioUpload(); },
      [this] { ScenarioDumps(); },
      [this] { ScenarioUploadOutOfOrder(); },
      [this] { ScenarioManyData(); },
      [this] { ScenarioUploadTwoSockets(); },
      [this] { ScenarioMultiMessage(); },
      [this] { ScenarioUploadSocketClosed(); },
      [this] { ScenarioDumpInterrupted(); },
      [this] { ScenarioReceiverGone(); },
      [this] { ScenarioReceiverFull(); },
      [this] { ScenarioDefaultBuffer(); },
      [this] { ScenarioUploadStateDeleted(); },
      [this] { ScenarioLimits(); },
      [this] { ScenarioUploadsRacingDelete(); },
      [this] { ScenarioDumpsAbandonedWhileDestroyed(); },
      [this] { ScenarioReceiverClosingDuringSend(); },
      [this] { ScenarioNetnsTeardown(); },
  };
  bool ok = Setup();
  auto last_progress = Clock::now();
  while (ok && !context_.hung && !Done()) {
    if (options_.batch > 1 && !rng_.OneIn(4)) {
      Timed("batched datagrams", [this] { FuzzBatch(); });
    } else {
      Timed("single datagrams", [this] { FuzzOne(); });
    }
    if (fuzzed_ % options_.scenario_every == 0 && !context_.hung &&
        EnsureBaseStates()) {
      const size_t i = scenarios_run_++ % scenarios.size();
      Timed("scenario " + std::to_string(i), scenarios[i]);
    }
    if (fuzzed_ % 200 == 0 && !context_.hung) {
      Timed("deleting created states", [this] {
        DeleteCreated();
        EnsureBaseStates();
      });
    }
    if (Clock::now() - last_progress > std::chrono::seconds(30)) {
      last_progress = Clock::now();
      std::printf("# progress: %llu fuzzed datagrams, %llu messages\n",
                  static_cast<unsigned long long>(fuzzed_),
                  static_cast<unsigned long long>(context_.messages));
      std::fflush(stdout);
    }
  }
  if (!context_.hung) Cleanup();

  const double seconds =
      std::chrono::duration<double>(Clock::now() - start_).count();
  std::printf(
      "summary: %llu fuzzed datagrams, %llu scenarios, %llu datagrams "
      "and %llu messages in all, %llu sync requests, %.1f s, "
      "%.0f messages/s\n",
      static_cast<unsigned long long>(fuzzed_),
      static_cast<unsigned long long>(scenarios_run_),
      static_cast<unsigned long long>(context_.datagrams),
      static_cast<unsigned long long>(context_.messages),
      static_cast<unsigned long long>(context_.syncs), seconds,
      seconds > 0 ? static_cast<double>(context_.messages) / seconds : 0.0);
  std::printf("time and messages by part:\n");
  for (const auto& [part, spent] : spent_) {
    std::printf("  %8.1f s %9llu  %s\n", spent.first,
                static_cast<unsigned long long>(spent.second), part.c_str());
  }
  std::printf("answers received:\n");
  for (const auto& [kind, n] : context_.kinds) {
    std::printf("  %8llu  %s\n", static_cast<unsigned long long>(n),
                kind.c_str());
  }
  for (const auto& [key, note] : context_.notes) {
    std::printf(
        "note: %s (%llu times)%s%s\n", key.c_str(),
        static_cast<unsigned long long>(note.first),
        note.second.empty() ? "" : "; first request: ", note.second.c_str());
  }
  for (const auto& [what, n] : context_.failure_counts) {
    if (n > 1) {
      std::printf("failure repeated %llu times: %s\n",
                  static_cast<unsigned long long>(n), what.c_str());
    }
  }
  const bool passed = ok && context_.failures == 0;
  std::printf(
      "result: %s seed=%llu fuzzed=%llu messages=%llu scenarios=%llu "
      "failures=%llu\n",
      passed ? "pass" : "fail", static_cast<unsigned long long>(options_.seed),
      static_cast<unsigned long long>(fuzzed_),
      static_cast<unsigned long long>(context_.messages),
      static_cast<unsigned long long>(scenarios_run_),
      static_cast<unsigned long long>(context_.failures));
  return passed ? 0 : 1;
}

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: lunatik-fuzz [--seed N] [--count N] [--messages N]\n"
               "                    [--seconds S] [--batch N] "
               "[--scenario-every N]\n"
               "                    [--timeout-ms MS] [--dump-states N] "
               "[--verbose]\n"
               "Fuzzes the lunatik generic netlink family (needs root and the\n"
               "module). Stops after --count fuzzed datagrams (default 1000),\n"
               "--messages messages in all or --seconds, whichever comes\n"
               "first (0: no limit). Three fuzzed datagrams in four carry up\n"
               "to --batch (64) messages, mostly cheap ones; 1 turns batches\n"
               "off. A scenario runs after every --scenario-every (25)\n"
               "fuzzed datagrams. Exits 0 only if every answer was\n"
               "well-formed and timely, documented behaviour held and no\n"
               "state was left.\n");
}

bool ParseOptions(int argc, char** argv, Options* options) {
  options->seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    const char* v = nullptr;
    char* end = nullptr;
    if (arg == "--verbose") {
      options->verbose = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      Usage(stdout);
      std::exit(0);
    }
    if (!(v = value())) return false;
    errno = 0;
    if (arg == "--seed") {
      options->seed = std::strtoull(v, &end, 0);
    } else if (arg == "--count") {
      options->count = std::strtoull(v, &end, 0);
    } else if (arg == "--messages") {
      options->messages = std::strtoull(v, &end, 0);
    } else if (arg == "--batch") {
      options->batch = static_cast<int>(std::strtol(v, &end, 0));
    } else if (arg == "--scenario-every") {
      options->scenario_every = static_cast<int>(std::strtol(v, &end, 0));
    } else if (arg == "--seconds") {
      options->seconds = std::strtod(v, &end);
    } else if (arg == "--timeout-ms") {
      options->timeout_ms = static_cast<int>(std::strtol(v, &end, 0));
    } else if (arg == "--dump-states") {
      options->dump_states = static_cast<int>(std::strtol(v, &end, 0));
    } else {
      return false;
    }
    if (errno || *end || end == v) return false;
  }
  return options->timeout_ms > 0 && options->dump_states >= 10 &&
         options->batch >= 1 && options->scenario_every >= 1;
}

}  // namespace
}  // namespace lunatik_fuzz

int main(int argc, char** argv) {
  lunatik_fuzz::Options options;
  if (!lunatik_fuzz::ParseOptions(argc, argv, &options)) {
    lunatik_fuzz::Usage(stderr);
    return 2;
  }
  return lunatik_fuzz::Fuzzer(options).Run();
}
