// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// lunatik-bench: measures the lunatik module against baselines taken in the
// same run and prints one table. It runs inside the VM (bench/run.sh); see
// docs/benchmarks.md for what each row means.

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "genl_echo.h"
#include "interpreter.h"
#include "loopback.h"
#include "lunatik/session.h"
#include "measure.h"
#include "report.h"
#include "user_lua.h"

namespace lunatik::bench {

namespace {

struct Options {
  std::string script;  // the Lua VM workload
  std::string lua_debian = "/usr/bin/lua5.4";
  std::string lua_kernel_flags;  // built with the kernel's flags
  std::string lua_plain;         // the same sources, plain -O2
  double time_scale = 1;         // scales every measuring period
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "lunatik-bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) Fail(what + ": " + status.message());
}

void CheckChunk(const Status& status, const ChunkResult& result,
                const std::string& what) {
  Check(status, what);
  if (result.lua_error) Fail(what + ": " + result.error);
}

void Progress(const char* what) {
  std::fprintf(stderr, "lunatik-bench: %s\n", what);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Fail("cannot read " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Runs `code` in state `name` and returns the integer it must return.
int64_t RunForInteger(Session* session, const std::string& name,
                      const std::string& code, const std::string& codename) {
  ChunkResult result;
  CheckChunk(session->DoString(name, code, codename, &result), result,
             codename);
  if (result.values.size() != 1 ||
      result.values[0].type() != Value::Type::kInteger) {
    Fail(codename + " did not return one integer");
  }
  return result.values[0].integer();
}

class Benchmarks {
 public:
  Benchmarks(Session* session, const Options& options)
      : session_(session), options_(options) {}

  void RoundTrip();
  void StateLifetime();
  void ListStates();
  void LuaSpeed();
  void Data();
  void PacketHooks();
  void Probes();

  int PrintReport() const { return report_.Print(); }

 private:
  double Seconds(double base) const { return base * options_.time_scale; }

  // Seconds per message that state `name` sends and this session
  // receives, `size` bytes each, measured for about `seconds`.
  double ReceiveSecondsPerMessage(const std::string& name, size_t size,
                                  double seconds);

  Session* session_;
  const Options& options_;
  Report report_;
};

void Benchmarks::RoundTrip() {
  Progress("round trip: dostring('return') against LUNATIK_CMD_LIMITS");
  const std::string name = "bench-roundtrip";
  StateInfo info;
  Check(session_->NewState(name, std::nullopt, &info), "newstate " + name);
  ChunkResult result;
  Limits limits;
  const Pair pair = Compare(
      [&] {
        CheckChunk(session_->DoString(name, "return", "", &result), result,
                   "dostring");
      },
      [&] { Check(session_->GetLimits(&limits), "limits"); }, Seconds(0.5), 5);
  Check(session_->DelState(name), "close " + name);
  report_.Add({"dostring('return') round trip", pair.subject * 1e6, "us",
               "LIMITS round trip", pair.baseline * 1e6, "<= 1.5"});
}

void Benchmarks::StateLifetime() {
  Progress("newstate + close, and the memory of an empty state");
  int serial = 0;
  uint64_t curralloc = 0;
  const Pair pair = Compare(
      [&] {
        const std::string name = "bench-life-" + std::to_string(serial++);
        StateInfo info;
        Check(session_->NewState(name, std::nullopt, &info), "newstate");
        curralloc = info.curralloc;
        Check(session_->DelState(name), "close");
      },
      OpenAndCloseUserState, Seconds(1), 3);
  report_.Add({"newstate + close", 1 / pair.subject, "pairs/s",
               "user lua_newstate+close", 1 / pair.baseline, ""});
  report_.Add({"memory of an empty state (curralloc)",
               static_cast<double>(curralloc), "bytes",
               "user lua_newstate + libs",
               static_cast<double>(UserStateBytes()), ""});
}

void Benchmarks::ListStates() {
  Progress("list() of 1,000, 5,000 and 10,000 states");
  static constexpr int kCounts[] = {1000, 5000, 10000};
  Limits limits;
  Check(session_->GetLimits(&limits), "limits");
  if (limits.maxstates < limits.nstates + kCounts[2]) {
    Fail(
        "list needs room for 10,000 states: load the module with "
        "maxstates=20000");
  }
  std::vector<std::string> names;
  double per_state_at_first = 0;
  for (const int count : kCounts) {
    while (static_cast<int>(names.size()) < count) {
      char name[32];
      std::snprintf(name, sizeof(name), "bench-list-%05zu", names.size());
      StateInfo info;
      // The smallest limit: thousands of states must fit in the VM.
      Check(session_->NewState(name, 64 * 1024, &info), "newstate");
      names.emplace_back(name);
    }
    std::vector<StateInfo> states;
    const double seconds = SecondsPerCall(
        [&] {
          Check(session_->List(&states), "list");
          if (states.size() != limits.nstates + names.size()) {
            Fail("list returned " + std::to_string(states.size()) +
                 " states, not " +
                 std::to_string(limits.nstates + names.size()));
          }
        },
        Seconds(1));
    const double per_state = seconds / static_cast<double>(states.size());
    const std::string label = "list() of " + std::to_string(count) + " states";
    if (per_state_at_first == 0) {
      per_state_at_first = per_state;
      report_.Add({label, seconds * 1e3, "ms", "", 0, ""});
    } else {
      // Linear when the time per state stays that of the smallest list.
      report_.Add({label + ", per state", per_state * 1e6, "us",
                   "per state at 1000", per_state_at_first * 1e6, ""});
      report_.Add({label, seconds * 1e3, "ms", "", 0, ""});
    }
  }
  for (const std::string& name : names) {
    Check(session_->DelState(name), "close " + name);
  }
}

void Benchmarks::LuaSpeed() {
  Progress("Lua VM speed: the same script in the kernel and in user space");
  const std::string code = ReadFile(options_.script);
  const std::string name = "bench-vm";
  StateInfo info;
  Check(session_->NewState(name, 64 * 1024 * 1024, &info), "newstate " + name);

  struct Runner {
    std::string label;
    std::string path;     // empty: the kernel
    std::string prelude;  // user space: Lua run before the workload
    std::vector<double> seconds;
  };
  // The kernel checks its time budget from a count hook every 1000
  // instructions; a user-space run with the same hook shows what it costs.
  const std::string hook = "debug.sethook(function() end, '', 1000) ";
  std::vector<Runner> runners = {
      {"kernel dostring", "", "", {}},
      {"lua kernel flags", options_.lua_kernel_flags, "", {}},
      {"lua kernel flags + hook", options_.lua_kernel_flags, hook, {}},
      {"lua -O2", options_.lua_plain, "", {}},
      {"lua5.4 (Debian)", options_.lua_debian, "", {}}};
  const std::string run_script = "io.write(dofile('" + options_.script + "'))";
  std::string expected;
  // Rounds alternate the runners, so load drift hits all of them alike.
  for (int round = 0; round < 5; ++round) {
    for (Runner& runner : runners) {
      const Clock::time_point start = Clock::now();
      std::string output;
      double seconds = 0;
      if (runner.path.empty()) {
        output =
            std::to_string(RunForInteger(session_, name, code, "intloop.lua"));
        seconds = SecondsSince(start);
      } else {
        // The interpreter's own start-up is no part of its Lua speed.
        double startup = 0;
        std::string ignored;
        if (!RunInterpreter(runner.path, runner.prelude, &ignored, &startup)) {
          Fail(ignored);
        }
        if (!RunInterpreter(runner.path, runner.prelude + run_script, &output,
                            &seconds)) {
          Fail(output);
        }
        seconds -= startup;
      }
      if (expected.empty()) expected = output;
      if (output != expected) {
        // operator+ on an rvalue string appends in place: no extra temporaries.
        // NOLINTNEXTLINE(performance-inefficient-string-concatenation)
        Fail(runner.label + " computed " + output + ", not " + expected);
      }
      runner.seconds.push_back(seconds);
    }
  }
  Check(session_->DelState(name), "close " + name);

  std::vector<double> runs_per_second;
  runs_per_second.reserve(runners.size());
  for (const Runner& runner : runners) {
    runs_per_second.push_back(1 / Median(runner.seconds));
  }
  // Rows: {subject, baseline, target}.
  static constexpr struct {
    size_t subject;
    size_t baseline;
    const char* target;
  } kRows[] = {{0, 1, ">= 0.9"}, {0, 2, ""}, {0, 4, ""},
               {2, 1, ""},       {1, 4, ""}, {3, 4, ""}};
  for (const auto& row : kRows) {
    report_.Add({"Lua VM: " + runners[row.subject].label,
                 runs_per_second[row.subject], "runs/s",
                 runners[row.baseline].label, runs_per_second[row.baseline],
                 row.target});
  }
}

double Benchmarks::ReceiveSecondsPerMessage(const std::string& name,
                                            size_t size, double seconds) {
  // Enough messages per chunk that its round trip is a small share, few
  // enough that a burst fits in the socket's queue.
  const int burst = size > 16 * 1024 ? 16 : 64;
  const std::string code = "return burst(" + std::to_string(burst) + ")";
  int64_t messages = 0;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    const int64_t sent = RunForInteger(session_, name, code, "burst");
    if (sent == 0) Fail("netlink.send sent nothing: the queue stays full");
    for (int64_t i = 0; i < sent; ++i) {
      std::string data;
      Check(session_->Receive(name, 10000, &data), "receive");
      if (data.size() != size) Fail("receive: wrong size");
    }
    messages += sent;
    elapsed = SecondsSince(start);
  } while (elapsed < seconds);
  return elapsed / static_cast<double>(messages);
}

void Benchmarks::Data() {
  Progress("data API: send and receive against a generic netlink echo");
  const std::string name = "bench-data";
  StateInfo info;
  Check(session_->NewState(name, 16 * 1024 * 1024, &info), "newstate " + name);
  ChunkResult result;
  CheckChunk(
      session_->DoString(name,
                         "function receive_callback(mem) end\n"
                         "function burst(k)\n"
                         "  local sent = 0\n"
                         "  for _ = 1, k do\n"
                         "    if not netlink.send(payload) then break end\n"
                         "    sent = sent + 1\n"
                         "  end\n"
                         "  return sent\n"
                         "end\n",
                         "bench setup", &result),
      result, "data setup");

  static constexpr size_t kSizes[] = {64, 4096, 65536};
  for (const size_t size : kSizes) {
    const std::string label = size >= 1024
                                  ? std::to_string(size / 1024) + " KiB"
                                  : std::to_string(size) + " B";
    const std::string target = size == 65536 ? ">= 0.8" : "";
    std::string error;
    std::unique_ptr<GenlEcho> echo = GenlEcho::Open(size, &error);
    if (echo == nullptr) Fail(error);
    const auto echo_once = [&] {
      if (!echo->RoundTrip(&error)) Fail(error);
    };
    CheckChunk(
        session_->DoString(
            name, "payload = string.rep('x', " + std::to_string(size) + ")",
            "bench payload", &result),
        result, "payload");
    const std::string data(size, 'x');

    const Pair send = Compare(
        [&] {
          CheckChunk(session_->Send(name, data, &result), result, "send");
        },
        echo_once, Seconds(0.4), 5);
    std::vector<double> receive_rounds;
    std::vector<double> echo_rounds;
    for (int round = 0; round < 5; ++round) {
      receive_rounds.push_back(
          ReceiveSecondsPerMessage(name, size, Seconds(0.4)));
      echo_rounds.push_back(SecondsPerCall(echo_once, Seconds(0.4)));
    }
    const Pair receive = {Median(receive_rounds), Median(echo_rounds)};

    const double megabytes = static_cast<double>(size) / 1e6;
    for (const auto& [kind, pair] :
         {std::pair{"send", send}, std::pair{"receive", receive}}) {
      const std::string row = std::string(kind) + " " + label;
      report_.Add({row, 1 / pair.subject, "calls/s", "genl echo",
                   1 / pair.baseline, target});
      report_.Add({row, megabytes / pair.subject, "MB/s", "genl echo",
                   megabytes / pair.baseline, target});
    }
  }
  Check(session_->DelState(name), "close " + name);
}

// Runs a shell command that must succeed.
void Shell(const std::string& command) {
  if (std::system(command.c_str()) != 0) Fail("failed: " + command);
}

constexpr uint16_t kHookPort = 47400;
constexpr char kNftTable[] = "ip lunatik_bench";

void Benchmarks::PacketHooks() {
  Progress("UDP through LOCAL_OUT: no hook, an nftables rule, a Lua hook");
  std::string error;
  std::unique_ptr<UdpLoopback> udp = UdpLoopback::Open(kHookPort, 64, &error);
  if (udp == nullptr) Fail(error);
  const auto send = [&] {
    if (!udp->Send(&error)) Fail(error);
  };
  const std::string name = "bench-hooks";
  StateInfo info;
  Check(session_->NewState(name, std::nullopt, &info), "newstate " + name);
  ChunkResult result;
  // The same work as the nftables rule: match UDP to the port, count.
  const std::string setup = "port = " + std::to_string(kHookPort) + R"(
    counted = 0
    local function count(skb)
      local d = skb:data()
      local vihl = d:get(1)
      if d:get(10) == 17 and
          memory.unpack(d, '>I2', (vihl & 15) * 4 + 3) == port then
        counted = counted + 1
      end
    end
    local function register(hook)
      h = netfilter.register{pf = netfilter.family.IPV4,
        hooknum = netfilter.inet.LOCAL_OUT, hook = hook}
    end
    function hook_on() register(count) end
    -- What the callback costs by itself, for the note in benchmarks.md.
    function empty_on() register(function() end) end
    function hook_off() h:unregister() h = nil end
  )";
  CheckChunk(session_->DoString(name, setup, "bench hooks", &result), result,
             "hooks setup");
  const std::string table = kNftTable;
  Shell("modprobe nf_tables && nft add table " + table + " && nft add chain " +
        table + " out '{ type filter hook output priority 0; }'");
  std::vector<double> bare_rounds;
  std::vector<double> nft_rounds;
  std::vector<double> lua_rounds;
  std::vector<double> empty_rounds;
  for (int round = 0; round < 5; ++round) {
    bare_rounds.push_back(SecondsPerCall(send, Seconds(0.4)));
    Shell("nft add rule " + table + " out udp dport " +
          std::to_string(kHookPort) + " counter");
    nft_rounds.push_back(SecondsPerCall(send, Seconds(0.4)));
    Shell("nft flush chain " + table + " out");
    CheckChunk(session_->DoString(name, "hook_on()", "", &result), result,
               "hook_on");
    lua_rounds.push_back(SecondsPerCall(send, Seconds(0.4)));
    CheckChunk(session_->DoString(name, "hook_off()", "", &result), result,
               "hook_off");
    CheckChunk(session_->DoString(name, "empty_on()", "", &result), result,
               "empty_on");
    empty_rounds.push_back(SecondsPerCall(send, Seconds(0.4)));
    CheckChunk(session_->DoString(name, "hook_off()", "", &result), result,
               "hook_off");
  }
  Shell("nft delete table " + table);
  if (RunForInteger(session_, name, "return counted", "counted") <= 0) {
    Fail("the Lua hook counted no packet");
  }
  Check(session_->DelState(name), "close " + name);
  const double bare = Median(bare_rounds);
  const double nft = Median(nft_rounds);
  const double lua = Median(lua_rounds);
  const double empty = Median(empty_rounds);
  report_.Add({"UDP, nftables rule (port, counter)", 1 / nft, "packets/s",
               "no hook", 1 / bare, ""});
  report_.Add({"UDP, Lua hook (port, counter)", 1 / lua, "packets/s",
               "nftables rule", 1 / nft, ">= 0.7"});
  report_.Add({"UDP, Lua hook (empty function)", 1 / empty, "packets/s",
               "no hook", 1 / bare, ""});
  report_.Add({"time the Lua hook's body adds to a packet", (lua - empty) * 1e9,
               "ns", "the empty hook over no hook", (empty - bare) * 1e9, ""});
}

void Benchmarks::Probes() {
  Progress("getppid: bare, with the kernel's kprobe event, with a Lua probe");
  const auto getppid = [] { syscall(SYS_getppid); };
  const std::string name = "bench-probe";
  StateInfo info;
  Check(session_->NewState(name, std::nullopt, &info), "newstate " + name);
  ChunkResult result;
  const std::string setup = R"(
    hits = 0
    function probe_on()
      p = assert(probe.new('__x64_sys_getppid', {pre = function()
        hits = hits + 1 end}))
    end
    function probe_off() p:unregister() p = nil end
  )";
  CheckChunk(session_->DoString(name, setup, "bench probes", &result), result,
             "probes setup");
  // The kernel's own kprobe event, which records each hit in the trace
  // buffer: what a probe costs with a C handler.
  const std::string tracing = "/sys/kernel/tracing";
  Shell("grep -q ' " + tracing + " tracefs' /proc/mounts || mount -t tracefs " +
        "nodev " + tracing);
  Shell("echo 'p:lunatik_bench __x64_sys_getppid' > " + tracing +
        "/kprobe_events");
  const std::string enable = tracing + "/events/kprobes/lunatik_bench/enable";
  std::vector<double> bare_rounds;
  std::vector<double> event_rounds;
  std::vector<double> lua_rounds;
  // The probes are armed while nothing calls getppid: see the hooks test.
  for (int round = 0; round < 5; ++round) {
    bare_rounds.push_back(SecondsPerCall(getppid, Seconds(0.4)));
    Shell("echo 1 > " + enable);
    event_rounds.push_back(SecondsPerCall(getppid, Seconds(0.4)));
    Shell("echo 0 > " + enable);
    CheckChunk(session_->DoString(name, "probe_on()", "", &result), result,
               "probe_on");
    lua_rounds.push_back(SecondsPerCall(getppid, Seconds(0.4)));
    CheckChunk(session_->DoString(name, "probe_off()", "", &result), result,
               "probe_off");
  }
  Shell("echo > " + tracing + "/kprobe_events && echo > " + tracing + "/trace");
  if (RunForInteger(session_, name, "return hits", "hits") <= 0) {
    Fail("the Lua probe counted no call");
  }
  Check(session_->DelState(name), "close " + name);
  const double bare = Median(bare_rounds);
  const double event = Median(event_rounds);
  const double lua = Median(lua_rounds);
  report_.Add({"getppid, kernel kprobe event", 1 / event, "calls/s",
               "bare getppid", 1 / bare, ""});
  report_.Add({"getppid, Lua probe (counter)", 1 / lua, "calls/s",
               "kernel kprobe event", 1 / event, ""});
  report_.Add({"time a Lua probe adds to a call", (lua - bare) * 1e9, "ns",
               "a kernel kprobe event", (event - bare) * 1e9, ""});
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) Fail("option " + arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--script") {
      options.script = value;
    } else if (arg == "--lua-debian") {
      options.lua_debian = value;
    } else if (arg == "--lua-kernel-flags") {
      options.lua_kernel_flags = value;
    } else if (arg == "--lua-plain") {
      options.lua_plain = value;
    } else if (arg == "--time-scale") {
      options.time_scale = std::atof(value.c_str());
      if (options.time_scale <= 0) Fail("--time-scale must be positive");
    } else {
      Fail("unknown option " + arg);
    }
  }
  if (options.script.empty() || options.lua_kernel_flags.empty() ||
      options.lua_plain.empty()) {
    Fail(
        "usage: lunatik-bench --script FILE --lua-kernel-flags LUA "
        "--lua-plain LUA [--lua-debian LUA] [--time-scale X]");
  }
  return options;
}

}  // namespace

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::unique_ptr<Session> session;
  Check(Session::Open(&session), "open a session");
  Benchmarks benchmarks(session.get(), options);
  benchmarks.RoundTrip();
  benchmarks.StateLifetime();
  benchmarks.ListStates();
  benchmarks.LuaSpeed();
  benchmarks.Data();
  benchmarks.PacketHooks();
  benchmarks.Probes();
  const int missed = benchmarks.PrintReport();
  std::printf("targets missed: %d\n", missed);
  return 0;
}

}  // namespace lunatik::bench

int main(int argc, char** argv) { return lunatik::bench::Main(argc, argv); }
