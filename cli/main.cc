// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// lunatik: drives Lua states in the kernel from the command line.
//
// One table, kCommands, describes every command: its arguments, options and
// help. The usage text, `lunatik COMMAND --help`, argument checking and
// dispatch are all generated from it, so they cannot disagree.

#include <sys/utsname.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/shell.h"
#include "lunatik/session.h"
#include "lunatik/version.h"
#include "uapi/linux/lunatik.h"

namespace lunatik::cli {

namespace {

using Json = nlohmann::json;

// Exit codes: 1 for a failed operation, 2 for a bad command line.
constexpr int kFailure = 1;
constexpr int kUsageError = 2;

// What the module shows in sysfs once loaded.
constexpr char kSysModule[] = "/sys/module/lunatik";

struct Option {
  const char* name;  // "--maxalloc"
  const char* arg;   // "BYTES", or nullptr for a flag
  const char* help;
};

// A parsed command line: positional arguments and the options given.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--json" -> "" for flags

  bool Has(const std::string& name) const { return options.contains(name); }
};

struct Command {
  const char* name;
  const char* synopsis;  // the arguments, as the usage shows them
  const char* help;      // one line
  std::vector<Option> options;
  size_t min_args;
  size_t max_args;
  int (*handler)(const Args& args);
};

const std::vector<Command>& Commands();
const Command* FindCommand(const std::string& name);

// Options several commands share.
const Option kJson = {"--json", nullptr, "print one JSON document"};

int Fail(const Status& status) {
  std::cerr << "lunatik: " << status.message() << '\n';
  return kFailure;
}

int Fail(const std::string& message) {
  std::cerr << "lunatik: " << message << '\n';
  return kFailure;
}

int UsageError(const std::string& message, const Command* command) {
  std::cerr << "lunatik: " << message << '\n'
            << "see 'lunatik " << (command ? command->name : "")
            << (command ? " " : "") << "--help'\n";
  return kUsageError;
}

// Strings from the kernel may hold any bytes; JSON needs UTF-8, so invalid
// sequences print as U+FFFD rather than failing the whole document.
void PrintJson(const Json& doc) {
  std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

// Parses a non-negative decimal integer that fills the whole argument.
std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Parses a size: bytes, or a number followed by K, M or G (powers of 1024).
std::optional<uint64_t> ParseSize(std::string_view text) {
  uint64_t scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        scale = uint64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        scale = uint64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        scale = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  const std::optional<uint64_t> value = ParseNumber(text);
  if (!value || *value > UINT64_MAX / scale) return std::nullopt;
  return *value * scale;
}

// Formats a size the way ParseSize reads it, exactly: 1048576 is "1M".
std::string FormatSize(uint64_t bytes) {
  static constexpr char kUnits[] = "KMG";
  for (int i = 2; i >= 0; --i) {
    const uint64_t scale = uint64_t{1} << (10 * (i + 1));
    if (bytes != 0 && bytes % scale == 0) {
      return std::to_string(bytes / scale) + kUnits[i];
    }
  }
  return std::to_string(bytes);
}

bool ReadAll(std::istream& in, std::string* out) {
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return !in.bad();
}

// Reads FILE, or stdin for "-".
bool ReadInput(const std::string& path, std::string* out, Status* status) {
  if (path == "-") {
    if (ReadAll(std::cin, out)) return true;
    *status = Status::Error(EIO, "cannot read stdin");
    return false;
  }
  std::ifstream file(path, std::ios::binary);
  if (file && ReadAll(file, out)) return true;
  *status = Status::Error(errno != 0 ? errno : EIO, "cannot read " + path);
  return false;
}

// Reads a one-line sysfs file without its newline; nullopt when absent.
std::optional<std::string> ReadSysfs(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) return std::nullopt;
  return line;
}

Status OpenSession(std::unique_ptr<Session>* session) {
  return Session::Open(session);
}

Json StateJson(const StateInfo& info) {
  return {{"name", info.name},
          {"curralloc", info.curralloc},
          {"maxalloc", info.maxalloc}};
}

Json ValueJson(const Value& value) {
  switch (value.type()) {
    case Value::Type::kNil:
      return nullptr;
    case Value::Type::kBoolean:
      return value.boolean();
    case Value::Type::kInteger:
      return value.integer();
    case Value::Type::kString:
      return value.string();
  }
  return nullptr;
}

int CmdList(const Args& args) {
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  std::vector<StateInfo> states;
  if (status.ok()) status = session->List(&states);
  if (!status.ok()) return Fail(status);
  if (args.Has("--json")) {
    Json doc = {{"states", Json::array()}};
    for (const StateInfo& info : states) {
      doc["states"].push_back(StateJson(info));
    }
    PrintJson(doc);
    return 0;
  }
  std::printf("%-32s %12s %12s\n", "NAME", "CURRALLOC", "MAXALLOC");
  for (const StateInfo& info : states) {
    std::printf("%-32s %12llu %12llu\n", info.name.c_str(),
                static_cast<unsigned long long>(info.curralloc),
                static_cast<unsigned long long>(info.maxalloc));
  }
  return 0;
}

int CmdNew(const Args& args) {
  std::optional<uint64_t> maxalloc;
  if (args.Has("--maxalloc")) {
    maxalloc = ParseSize(args.options.at("--maxalloc"));
    if (!maxalloc) {
      return UsageError("--maxalloc needs a size: bytes, or 64K, 16M, 1G",
                        FindCommand("new"));
    }
  }
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  StateInfo info;
  if (status.ok())
    status = session->NewState(args.positional[0], maxalloc, &info);
  return status.ok() ? 0 : Fail(status);
}

int RunChunk(const std::string& name, const std::string& code,
             const std::string& codename, bool json) {
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  ChunkResult result;
  if (status.ok()) status = session->DoString(name, code, codename, &result);
  if (!status.ok()) {
    // What the chunk printed before its results were refused.
    if (!json) PrintOutput(result);
    return Fail(status);
  }
  if (!json) return PrintChunkResult(result) ? 0 : kFailure;
  Json doc = {{"ok", !result.lua_error},
              {"output", result.output},
              {"output_truncated", result.output_truncated}};
  if (result.lua_error) {
    doc["error"] = ExplainError(result.error);
  } else {
    doc["values"] = Json::array();
    for (const Value& value : result.values) {
      doc["values"].push_back(ValueJson(value));
    }
  }
  PrintJson(doc);
  return result.lua_error ? kFailure : 0;
}

int CmdExec(const Args& args) {
  return RunChunk(args.positional[0], args.positional[1], "",
                  args.Has("--json"));
}

int CmdRun(const Args& args) {
  const std::string& path = args.positional[1];
  std::string code;
  Status status;
  if (!ReadInput(path, &code, &status)) return Fail(status);
  // The kernel shows the codename as it is, so errors read
  // "path:line: message". Long paths keep their end, which names the file.
  std::string codename = path == "-" ? "stdin" : path;
  if (codename.size() > LUNATIK_SCRIPTNAME_MAXSIZE) {
    codename = "..." + codename.substr(codename.size() -
                                       (LUNATIK_SCRIPTNAME_MAXSIZE - 3));
  }
  return RunChunk(args.positional[0], code, codename, false);
}

int CmdClose(const Args& args) {
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  if (status.ok()) status = session->DelState(args.positional[0]);
  return status.ok() ? 0 : Fail(status);
}

int CmdSend(const Args& args) {
  std::string data;
  Status status;
  const std::string path =
      args.positional.size() > 1 ? args.positional[1] : "-";
  if (!ReadInput(path, &data, &status)) return Fail(status);
  std::unique_ptr<Session> session;
  status = OpenSession(&session);
  ChunkResult result;
  if (status.ok()) status = session->Send(args.positional[0], data, &result);
  if (!status.ok()) return Fail(status);
  return PrintChunkResult(result) ? 0 : kFailure;
}

int CmdRecv(const Args& args) {
  int timeout_ms = -1;
  if (args.Has("--timeout")) {
    const std::optional<uint64_t> parsed =
        ParseNumber(args.options.at("--timeout"));
    if (!parsed || *parsed > INT32_MAX) {
      return UsageError("--timeout needs a number of milliseconds",
                        FindCommand("recv"));
    }
    timeout_ms = static_cast<int>(*parsed);
  }
  uint64_t count = 1;
  if (args.Has("--count")) {
    const std::optional<uint64_t> parsed =
        ParseNumber(args.options.at("--count"));
    if (!parsed || *parsed == 0) {
      return UsageError("--count needs a positive number", FindCommand("recv"));
    }
    count = *parsed;
  }
  const std::string& name = args.positional[0];
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  // Looking the state up makes this process its data receiver.
  StateInfo info;
  if (status.ok()) status = session->GetState(name, &info);
  if (!status.ok()) return Fail(status);
  for (uint64_t i = 0; i < count; ++i) {
    std::string data;
    status = session->Receive(name, timeout_ms, &data);
    if (!status.ok()) return Fail(status);
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    if (!std::cout) return Fail("cannot write to stdout");
  }
  return 0;
}

int CmdShell(const Args& args) {
  ShellOptions options;
  if (!args.positional.empty()) options.name = args.positional[0];
  options.keep = args.Has("--keep");
  std::unique_ptr<Session> session;
  Status status = OpenSession(&session);
  if (!status.ok()) return Fail(status);
  return RunShell(session.get(), options);
}

int CmdVersion(const Args& args) {
  const std::optional<std::string> module =
      ReadSysfs(std::string(kSysModule) + "/version");
  const bool loaded = std::filesystem::exists(kSysModule);
  if (args.Has("--json")) {
    Json doc = {{"cli", LUNATIK_VERSION}, {"module_loaded", loaded}};
    doc["module"] = module ? Json(*module) : Json(nullptr);
    PrintJson(doc);
    return 0;
  }
  std::cout << "lunatik " << LUNATIK_VERSION << '\n';
  if (module) {
    std::cout << "module " << *module << '\n';
  } else if (loaded) {
    std::cout << "module loaded, without a version (no MODULE_VERSION)\n";
  } else {
    std::cout << "module not loaded\n";
  }
  return 0;
}

int CmdStatus(const Args& args) {
  const std::string sys = kSysModule;
  const std::optional<std::string> version = ReadSysfs(sys + "/version");
  const bool loaded = std::filesystem::exists(sys);
  std::map<std::string, std::string> parameters;
  for (const char* name : {"maxstates", "timeout_ms", "callback_us"}) {
    const std::optional<std::string> value =
        ReadSysfs(sys + "/parameters/" + name);
    if (value) parameters[name] = *value;
  }

  Limits limits;
  std::vector<StateInfo> states;
  Status status;
  if (loaded) {
    std::unique_ptr<Session> session;
    status = OpenSession(&session);
    if (status.ok()) status = session->GetLimits(&limits);
    if (status.ok()) status = session->List(&states);
  }

  if (args.Has("--json")) {
    Json doc = {{"loaded", loaded}, {"cli", LUNATIK_VERSION}};
    doc["version"] = version ? Json(*version) : Json(nullptr);
    doc["parameters"] = Json::object();
    for (const auto& [name, value] : parameters) {
      const std::optional<uint64_t> number = ParseNumber(value);
      doc["parameters"][name] = number ? Json(*number) : Json(value);
    }
    if (loaded && status.ok()) {
      doc["limits"] = {{"maxstates", limits.maxstates},
                       {"nstates", limits.nstates},
                       {"default_maxalloc", limits.default_maxalloc}};
      doc["states"] = Json::array();
      for (const StateInfo& info : states) {
        doc["states"].push_back(StateJson(info));
      }
    } else if (loaded) {
      doc["error"] = status.message();
    }
    PrintJson(doc);
    return status.ok() ? 0 : kFailure;
  }

  if (!loaded) {
    std::cout << "module: not loaded\n";
    return 0;
  }
  std::cout << "module: loaded, version " << version.value_or("unknown")
            << '\n';
  for (const auto& [name, value] : parameters) {
    std::cout << "parameter " << name << ": " << value << '\n';
  }
  if (!status.ok()) return Fail(status);
  std::cout << "states in this network namespace: " << limits.nstates << " of "
            << limits.maxstates << '\n'
            << "default memory limit: " << FormatSize(limits.default_maxalloc)
            << '\n';
  for (const StateInfo& info : states) {
    std::cout << "  " << info.name << ": " << info.curralloc << " of "
              << FormatSize(info.maxalloc) << " bytes in use\n";
  }
  return 0;
}

int CmdHelp(const Args& args);

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"list",
       "",
       "list the states of this network namespace",
       {kJson},
       0,
       0,
       CmdList},
      {"new",
       "NAME",
       "create a state",
       {{"--maxalloc", "BYTES",
         "memory limit: bytes or 64K, 16M, 1G (default: the module's)"}},
       1,
       1,
       CmdNew},
      {"exec",
       "NAME CODE",
       "run the Lua code CODE in a state, print results",
       {kJson},
       2,
       2,
       CmdExec},
      {"run",
       "NAME FILE|-",
       "run a Lua file (- reads stdin) in a state",
       {},
       2,
       2,
       CmdRun},
      {"close", "NAME", "destroy a state", {}, 1, 1, CmdClose},
      {"send",
       "NAME [FILE|-]",
       "call the state's receive_callback with the bytes of FILE (default: "
       "stdin)",
       {},
       1,
       2,
       CmdSend},
      {"recv",
       "NAME",
       "become the state's receiver; write what it sends with netlink.send() "
       "to stdout, as raw bytes",
       {{"--timeout", "MS", "wait at most MS milliseconds for each message"},
        {"--count", "N", "receive N messages (default 1)"}},
       1,
       1,
       CmdRecv},
      {"shell",
       "[NAME]",
       "an interactive Lua prompt in a state (default: a fresh one)",
       {{"--keep", nullptr, "keep the fresh state when the shell ends"}},
       0,
       1,
       CmdShell},
      {"version",
       "",
       "print the CLI's and the running module's version",
       {kJson},
       0,
       0,
       CmdVersion},
      {"status",
       "",
       "is the module loaded; its parameters, limits and states",
       {kJson},
       0,
       0,
       CmdStatus},
      {"help",
       "[COMMAND]",
       "show this text, or a command's",
       {},
       0,
       1,
       CmdHelp},
  };
  return commands;
}

std::string Synopsis(const Command& c) {
  std::string text = c.name;
  if (*c.synopsis) text += std::string(" ") + c.synopsis;
  for (const Option& o : c.options) {
    text += std::string(" [") + o.name +
            (o.arg ? std::string(" ") + o.arg : "") + "]";
  }
  return text;
}

void PrintUsage(std::ostream& out) {
  out << "usage: lunatik COMMAND [ARGS]\n\n"
         "Drives Lua states that live in the kernel (module lunatik.ko).\n\n"
         "commands:\n";
  for (const Command& c : Commands()) {
    out << "  " << Synopsis(c) << "\n      " << c.help << '\n';
  }
  out << "\n'lunatik COMMAND --help' describes one command. Exit status: 0 on "
         "success,\n1 when the operation failed, 2 for a bad command line.\n";
}

void PrintCommandHelp(const Command& c, std::ostream& out) {
  out << "usage: lunatik " << Synopsis(c) << "\n\n" << c.help << '\n';
  if (!c.options.empty()) {
    out << "\noptions:\n";
    for (const Option& o : c.options) {
      std::string flag =
          std::string(o.name) + (o.arg ? std::string(" ") + o.arg : "");
      out << "  " << flag
          << std::string(flag.size() < 18 ? 18 - flag.size() : 1, ' ') << o.help
          << '\n';
    }
  }
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int CmdHelp(const Args& args) {
  if (args.positional.empty()) {
    PrintUsage(std::cout);
    return 0;
  }
  const Command* c = FindCommand(args.positional[0]);
  if (c == nullptr) {
    return UsageError("unknown command '" + args.positional[0] + "'", nullptr);
  }
  PrintCommandHelp(*c, std::cout);
  return 0;
}

// Parses `argv` for command `c`. Options may come anywhere; "--" ends them;
// "--name=value" and "--name value" both work. Returns false (after printing
// why) for a bad command line, or when --help was printed (*exit says
// which).
bool ParseArgs(const Command& c, std::span<char*> argv, Args* args, int* exit) {
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (options_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      args->positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help") {
      PrintCommandHelp(c, std::cout);
      *exit = 0;
      return false;
    }
    std::optional<std::string> value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    const Option* option = nullptr;
    for (const Option& o : c.options) {
      if (arg == o.name) option = &o;
    }
    if (option == nullptr) {
      *exit =
          UsageError("unknown option '" + arg + "' for '" + c.name + "'", &c);
      return false;
    }
    if (option->arg != nullptr && !value) {
      if (i + 1 == argv.size()) {
        *exit = UsageError(arg + " needs " + option->arg, &c);
        return false;
      }
      value = argv[++i];
    } else if (option->arg == nullptr && value) {
      *exit = UsageError(arg + " takes no value", &c);
      return false;
    }
    args->options[arg] = value.value_or("");
  }
  if (args->positional.size() < c.min_args ||
      args->positional.size() > c.max_args) {
    *exit = UsageError(std::string("wrong number of arguments for '") + c.name +
                           "': usage: lunatik " + Synopsis(c),
                       &c);
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kUsageError;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h") {
    PrintUsage(std::cout);
    return 0;
  }
  if (name == "--version") {
    std::cout << "lunatik " << LUNATIK_VERSION << '\n';
    return 0;
  }
  const Command* c = FindCommand(name);
  if (c == nullptr)
    return UsageError("unknown command '" + name + "'", nullptr);
  Args args;
  int exit = 0;
  if (!ParseArgs(*c, std::span<char*>(argv + 2, argv + argc), &args, &exit)) {
    return exit;
  }
  return c->handler(args);
}

}  // namespace

}  // namespace lunatik::cli

int main(int argc, char** argv) {
  // Nothing is caught: an exception here is a bug or out of memory, and
  // terminating with its message is the honest report.
  return lunatik::cli::Main(argc, argv);
}
