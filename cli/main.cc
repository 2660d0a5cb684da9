// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// lunatik: drives Lua states in the kernel from the command line.

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/shell.h"
#include "lunatik/session.h"
#include "uapi/linux/lunatik.h"

namespace lunatik::cli {

namespace {

constexpr char kUsage[] =
    "usage: lunatik COMMAND [ARGS]\n"
    "\n"
    "Drives Lua states that live in the kernel (module lunatik.ko).\n"
    "\n"
    "commands:\n"
    "  list                   list the states: name, memory in use, limit\n"
    "  new NAME [MAXALLOC]    create a state with a memory limit in bytes\n"
    "  exec NAME CODE         run the Lua code CODE in state NAME\n"
    "  run NAME FILE          run the Lua file FILE in state NAME\n"
    "  close NAME             destroy state NAME\n"
    "  send NAME DATA|-       call NAME's receive_callback with DATA (- reads\n"
    "                         stdin)\n"
    "  recv NAME [TIMEOUT_MS] wait for data that NAME sends with\n"
    "                         netlink.send() and write it to stdout\n"
    "  shell [NAME]           a Lua prompt running each line in state NAME\n"
    "                         (default 'shell', created if missing); a line\n"
    "                         starting with '=' returns its expression\n"
    "  --help                 show this text\n";

// Exit codes: 1 for a failed operation, 2 for a bad command line.
constexpr int kFailure = 1;
constexpr int kUsageError = 2;

int Fail(const Status& status) {
  std::cerr << "lunatik: " << status.message() << '\n';
  return kFailure;
}

int UsageError(const std::string& message) {
  std::cerr << "lunatik: " << message << "\n\n" << kUsage;
  return kUsageError;
}

// Parses a non-negative decimal integer that fills the whole argument.
std::optional<uint64_t> ParseNumber(const std::string& text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

bool ReadAll(std::istream& in, std::string* out) {
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return !in.bad();
}

int List(Session* session) {
  std::vector<StateInfo> states;
  Status status = session->List(&states);
  if (!status.ok()) return Fail(status);
  std::printf("%-*s %12s %12s\n", LUNATIK_STATENAME_MAXSIZE / 2, "NAME",
              "CURRALLOC", "MAXALLOC");
  for (const StateInfo& info : states) {
    std::printf("%-*s %12llu %12llu\n", LUNATIK_STATENAME_MAXSIZE / 2,
                info.name.c_str(),
                static_cast<unsigned long long>(info.curralloc),
                static_cast<unsigned long long>(info.maxalloc));
  }
  return 0;
}

int New(Session* session, const std::string& name,
        std::optional<uint64_t> maxalloc) {
  StateInfo info;
  Status status = session->NewState(name, maxalloc, &info);
  return status.ok() ? 0 : Fail(status);
}

int Run(Session* session, const std::string& name, const std::string& code,
        const std::string& codename) {
  ChunkResult result;
  Status status = session->DoString(name, code, codename, &result);
  if (!status.ok()) return Fail(status);
  return PrintChunkResult(result) ? 0 : kFailure;
}

int RunFile(Session* session, const std::string& name,
            const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string code;
  if (!file || !ReadAll(file, &code)) {
    return Fail(Status::Error(errno, "cannot read " + path));
  }
  // The kernel shows the codename as it is, so errors read
  // "path:line: message". Long paths keep their end, which names the file.
  std::string codename = path;
  if (codename.size() > LUNATIK_SCRIPTNAME_MAXSIZE) {
    codename =
        "..." + path.substr(path.size() - (LUNATIK_SCRIPTNAME_MAXSIZE - 3));
  }
  return Run(session, name, code, codename);
}

int Send(Session* session, const std::string& name, const std::string& arg) {
  std::string data = arg;
  if (arg == "-" && !ReadAll(std::cin, &data)) {
    return Fail(Status::Error(EIO, "cannot read stdin"));
  }
  ChunkResult result;
  Status status = session->Send(name, data, &result);
  if (!status.ok()) return Fail(status);
  return PrintChunkResult(result) ? 0 : kFailure;
}

int Receive(Session* session, const std::string& name, int timeout_ms) {
  // Looking the state up makes this process its data receiver.
  StateInfo info;
  Status status = session->GetState(name, &info);
  if (!status.ok()) return Fail(status);
  std::string data;
  status = session->Receive(name, timeout_ms, &data);
  if (!status.ok()) return Fail(status);
  std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
  std::cout.flush();
  return std::cout ? 0 : kFailure;
}

// Returns whether `args` (after the command) has between `min` and `max`
// elements.
bool Arity(const std::vector<std::string>& args, size_t min, size_t max) {
  return args.size() >= min && args.size() <= max;
}

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }

  struct Command {
    const char* name;
    size_t min_args;
    size_t max_args;
  };
  static constexpr Command kCommands[] = {
      {"list", 0, 0},  {"new", 1, 2},  {"exec", 2, 2}, {"run", 2, 2},
      {"close", 1, 1}, {"send", 2, 2}, {"recv", 1, 2}, {"shell", 0, 1},
  };
  const Command* found = nullptr;
  for (const Command& c : kCommands) {
    if (command == c.name) found = &c;
  }
  if (found == nullptr) return UsageError("unknown command '" + command + "'");
  if (!Arity(args, found->min_args, found->max_args)) {
    return UsageError("wrong number of arguments for '" + command + "'");
  }

  // Numbers are checked before connecting: a usage error is not a failure.
  std::optional<uint64_t> maxalloc;
  if (command == "new" && args.size() == 2) {
    maxalloc = ParseNumber(args[1]);
    if (!maxalloc) return UsageError("MAXALLOC must be a number of bytes");
  }
  int timeout_ms = -1;
  if (command == "recv" && args.size() == 2) {
    const std::optional<uint64_t> parsed = ParseNumber(args[1]);
    if (!parsed || *parsed > INT32_MAX) {
      return UsageError("TIMEOUT_MS must be a number of milliseconds");
    }
    timeout_ms = static_cast<int>(*parsed);
  }

  std::unique_ptr<Session> session;
  Status status = Session::Open(&session);
  if (!status.ok()) return Fail(status);

  if (command == "list") return List(session.get());
  if (command == "new") return New(session.get(), args[0], maxalloc);
  if (command == "exec") return Run(session.get(), args[0], args[1], "");
  if (command == "run") return RunFile(session.get(), args[0], args[1]);
  if (command == "close") {
    status = session->DelState(args[0]);
    return status.ok() ? 0 : Fail(status);
  }
  if (command == "send") return Send(session.get(), args[0], args[1]);
  if (command == "recv") return Receive(session.get(), args[0], timeout_ms);
  return RunShell(session.get(), args.empty() ? "shell" : args[0]);
}

}  // namespace

}  // namespace lunatik::cli

int main(int argc, char** argv) {
  // Nothing is caught: an exception here is a bug or out of memory, and
  // terminating with its message is the honest report.
  return lunatik::cli::Main(argc, argv);
}
