// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "cli/shell.h"

#include <editline/readline.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lunatik/version.h"
#include "uapi/linux/lunatik.h"

namespace lunatik::cli {

namespace {

// Errors read "stdin:1: ..." as in Lua's own prompt.
constexpr char kShellCodeName[] = "stdin";
constexpr char kPrompt[] = "> ";
constexpr char kContinuePrompt[] = ">> ";
constexpr char kHistoryFile[] = ".lunatik_history";
constexpr int kHistorySize = 1000;
// lua.c's mark of an incomplete chunk: the parser met the end of input.
constexpr std::string_view kEofMark = "<eof>";

// Ctrl-C presses since the last look; set by the SIGINT handler.
volatile sig_atomic_t g_interrupts = 0;
// Set from the moment a line is taken until its chunk's last request ends:
// a Ctrl-C then cancels the chunk. Read by the canceller thread too.
std::atomic<int> g_running{0};
// Counts the lines run; tells the canceller which chunk a press meant.
std::atomic<int> g_chunk{0};
static_assert(std::atomic<int>::is_always_lock_free,
              "the SIGINT handler reads these");
// Marks the requests of one line as running, for its lifetime.
class RunningLine {
 public:
  RunningLine() {
    g_chunk.fetch_add(1);
    g_running.store(1);
  }
  ~RunningLine() { g_running.store(0); }
  RunningLine(const RunningLine&) = delete;
  RunningLine& operator=(const RunningLine&) = delete;
};
// The SIGINT handler's way to the canceller thread; -1: none.
int g_cancel_pipe = -1;
// The SIGINT handler's way to ReadChar, which polls its read end with the
// terminal: a press that lands between two reads is not lost.
int g_wake_pipe[2] = {-1, -1};
// How often a cancel is sent again while the chunk it aims at has not
// ended: a cancel that reaches the kernel before the chunk's request
// finds nothing to stop.
constexpr auto kCancelRetry = std::chrono::milliseconds(20);

void OnInterrupt(int /*signal*/) {
  const int saved_errno = errno;
  g_interrupts = g_interrupts + 1;
  if (g_wake_pipe[1] >= 0) {
    [[maybe_unused]] const ssize_t n = write(g_wake_pipe[1], "", 1);
  }
  if (g_running.load() && g_cancel_pipe >= 0) {
    const char chunk = static_cast<char>(g_chunk.load());
    // write() is async-signal-safe; a full pipe already holds a request.
    [[maybe_unused]] const ssize_t n = write(g_cancel_pipe, &chunk, 1);
  }
  errno = saved_errno;
}

// SIGINT without SA_RESTART: a read() waiting at the prompt returns EINTR,
// so ReadChar sees the press at once. liblunatik retries its own calls.
void CatchInterrupts() {
  if (pipe2(g_wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_wake_pipe[0] = g_wake_pipe[1] = -1;
  }
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

// Turns a Ctrl-C while a chunk runs into the cancel request for `state`.
// The shell's own session is busy waiting for the chunk's reply, so a
// thread with a session of its own sends it, woken through a pipe by the
// signal handler, and sends it again until that chunk has ended. Returns
// false when that cannot be set up; Ctrl-C then only clears the prompt's
// line.
bool CancelOnInterrupt(const std::string& state) {
  std::unique_ptr<Session> canceller;
  if (!Session::Open(&canceller).ok()) return false;
  int fds[2];
  if (pipe(fds) != 0) return false;
  g_cancel_pipe = fds[1];
  // SIGINT must reach the main thread, whose read() at the prompt it
  // interrupts: the thread starts with it blocked.
  sigset_t sigint;
  sigset_t old;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &old);
  std::thread([canceller = std::move(canceller), state, in = fds[0]] {
    char chunk;
    for (;;) {
      const ssize_t n = read(in, &chunk, 1);
      if (n != 1) return;
      while (g_running.load() && static_cast<char>(g_chunk.load()) == chunk) {
        const Status status = canceller->Cancel(state);
        if (!status.ok()) {
          std::cerr << "\nlunatik: " << status.message() << '\n';
          break;
        }
        std::this_thread::sleep_for(kCancelRetry);
      }
    }
  }).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return true;
}

// The session and state that Tab completion asks; set while reading a line.
Session* g_session = nullptr;
std::string g_state;

// Quotes `text` as a Lua string literal that reads back as the same bytes.
std::string LuaQuote(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
      char escape[5];
      std::snprintf(escape, sizeof(escape), "\\%03u", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

enum class Form { kExpression, kStatement, kIncomplete, kSyntaxError };

// Compiles `source` in the kernel state without running it, as lua.c
// compiles before it runs: as "return SOURCE" first when `expression`, then
// as it is. Compiling there, not here, applies kernel Lua's own grammar
// (integers only). On kSyntaxError, *error holds the parser's message.
Status Classify(Session* session, const std::string& state,
                const std::string& source, bool expression, Form* form,
                std::string* error) {
  std::string probe = "local s = " + LuaQuote(source) + "\n";
  if (expression) {
    probe += "if load('return ' .. s, '=stdin') then return 'e' end\n";
  }
  probe +=
      "local f, e = load(s, '=stdin')\n"
      "if f then return 's' end\n"
      "return 'x', e\n";
  ChunkResult result;
  Status status = session->DoString(state, probe, "shell probe", &result);
  if (!status.ok()) return status;
  if (result.lua_error || result.values.empty() ||
      result.values[0].type() != Value::Type::kString) {
    // The probe itself failed (the state is out of memory, or `load` was
    // replaced): run the source as it is and let its own error show.
    *form = Form::kStatement;
    return Status::OK();
  }
  const std::string& kind = result.values[0].string();
  if (kind == "e") {
    *form = Form::kExpression;
  } else if (kind == "s") {
    *form = Form::kStatement;
  } else {
    *error = result.values.size() > 1 ? result.values[1].ToString() : "";
    const bool incomplete = error->size() >= kEofMark.size() &&
                            error->compare(error->size() - kEofMark.size(),
                                           kEofMark.size(), kEofMark) == 0;
    *form = incomplete ? Form::kIncomplete : Form::kSyntaxError;
  }
  return Status::OK();
}

// Tab completion: the names that a chunk run in the state finds under a
// dotted path ("string.fo" -> the fields of `string` starting with "fo";
// "s:up" also looks in s's metatable's __index). Raw lookups only, so no
// metamethod of the user's runs.
std::vector<std::string> Candidates(const std::string& text) {
  std::vector<std::string> out;
  if (g_session == nullptr) return out;
  const size_t cut = text.find_last_of(".:");
  const std::string path = cut == std::string::npos ? "" : text.substr(0, cut);
  const std::string prefix =
      cut == std::string::npos ? text : text.substr(cut + 1);
  const std::string query =
      "local t = _ENV\n"
      "for k in (" +
      LuaQuote(path) +
      "):gmatch('[^.:]+') do\n"
      "  if type(t) ~= 'table' then return '' end\n"
      "  t = rawget(t, k)\n"
      "end\n"
      "local p, seen, out = " +
      LuaQuote(prefix) +
      ", {}, {}\n"
      "local function add(u)\n"
      "  if type(u) ~= 'table' then return end\n"
      "  for k in next, u do\n"
      "    if type(k) == 'string' and k:sub(1, #p) == p and not seen[k] then\n"
      "      seen[k] = true\n"
      "      out[#out + 1] = k\n"
      "    end\n"
      "  end\n"
      "end\n"
      "add(t)\n"
      "local mt = getmetatable(t)\n"
      "if type(mt) == 'table' then add(rawget(mt, '__index')) end\n"
      "table.sort(out)\n"
      "return table.concat(out, '\\n')\n";
  ChunkResult result;
  Status status =
      g_session->DoString(g_state, query, "shell completion", &result);
  if (!status.ok() || result.lua_error || result.values.empty()) return out;
  const std::string names = result.values[0].ToString();
  const std::string head = text.substr(0, text.size() - prefix.size());
  size_t start = 0;
  while (start < names.size()) {
    size_t end = names.find('\n', start);
    if (end == std::string::npos) end = names.size();
    out.push_back(head + names.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

char* CompletionEntry(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next = 0;
  if (state == 0) {
    matches = Candidates(text);
    next = 0;
  }
  if (next >= matches.size()) return nullptr;
  return strdup(matches[next++].c_str());
}

char** Complete(const char* text, int /*start*/, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  return rl_completion_matches(text, CompletionEntry);
}

// Empties the wake pipe of presses already seen.
void DrainWakePipe() {
  char buf[64];
  while (g_wake_pipe[0] >= 0 && read(g_wake_pipe[0], buf, sizeof(buf)) > 0) {
  }
}

// libedit's character reader, replaced so that Ctrl-C at the prompt ends
// the line at once, even while libedit was busy between two reads: a
// newline makes readline() return what was typed, which the caller then
// drops.
int ReadChar(FILE* /*in*/) {
  for (;;) {
    if (g_interrupts > 0) return '\n';
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0},
                            {g_wake_pipe[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return EOF;
    }
    if (fds[1].revents != 0) DrainWakePipe();
    if (fds[0].revents == 0) continue;
    unsigned char c;
    const ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n == 1) return c;
    if (n == 0) return EOF;
    if (errno != EINTR) return EOF;
  }
}

std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/" + kHistoryFile;
}

// Reads lines: through libedit on a terminal, plainly from a pipe.
class LineReader {
 public:
  explicit LineReader(bool interactive) : interactive_(interactive) {
    if (!interactive_) return;
    rl_readline_name = "lunatik";
    rl_catch_signals = 0;  // SIGINT is ours (see ReadChar)
    rl_getc_function = ReadChar;
    rl_attempted_completion_function = Complete;
    // Dots and colons belong to the word, so "string.fo" completes.
    rl_basic_word_break_characters = " \t\n\"\\'><=;+-*/%^~#&|{}()[],";
    rl_completion_append_character = '\0';
    using_history();
    stifle_history(kHistorySize);
    history_ = HistoryPath();
    if (!history_.empty()) read_history(history_.c_str());
  }

  // Reads one line into *line. Returns false at end of input.
  bool Read(const char* prompt, std::string* line) const {
    if (!interactive_) return static_cast<bool>(std::getline(std::cin, *line));
    char* text = readline(prompt);
    if (text == nullptr) return false;
    *line = text;
    std::free(text);
    return true;
  }

  void Remember(const std::string& chunk) {
    if (!interactive_) return;
    add_history(chunk.c_str());
    if (!history_.empty()) write_history(history_.c_str());
  }

 private:
  bool interactive_;
  std::string history_;
};

void PrintBanner(const StateInfo& info, bool fresh) {
  struct utsname uts = {};
  uname(&uts);
  std::cout << "Lunatik " << LUNATIK_VERSION << ": Lua 5.4 in Linux "
            << uts.release << ", " << (fresh ? "fresh " : "") << "state '"
            << info.name << "' (memory limit " << info.maxalloc << " bytes).\n"
            << "Numbers are integers: 7 // 2 == 3, 7 / 2 == 3, 1.5 is an "
               "error (docs/kernel-lua.md).\n"
            << "Tab completes names; Ctrl-D, or Ctrl-C twice, exits.\n";
}

// Finds or creates the state; *fresh says whether this shell made it.
Status OpenState(Session* session, const ShellOptions& options, StateInfo* info,
                 bool* fresh) {
  *fresh = options.name.empty();
  if (*fresh) {
    return session->NewState("shell-" + std::to_string(getpid()), std::nullopt,
                             info);
  }
  Status status = session->GetState(options.name, info);
  if (status.code() == ENOENT) {
    status = session->NewState(options.name, std::nullopt, info);
  }
  return status;
}

}  // namespace

std::string ExplainError(const std::string& error) {
  static constexpr std::string_view kMalformed = "malformed number near '";
  const size_t at = error.find(kMalformed);
  if (at == std::string::npos) return error;
  const size_t start = at + kMalformed.size();
  const size_t end = error.find('\'', start);
  if (end == std::string::npos) return error;
  // A fraction, an exponent or a decimal too large for 64 bits: each a
  // float in lua5.4, and no number at all in the kernel.
  const std::string numeral = error.substr(start, end - start);
  const bool hex = numeral.size() > 1 && numeral[0] == '0' &&
                   (numeral[1] == 'x' || numeral[1] == 'X');
  const bool floaty =
      numeral.find_first_of(hex ? ".pP" : ".eE") != std::string::npos ||
      (!hex && numeral.find_first_not_of("0123456789") == std::string::npos);
  if (!floaty) return error;
  std::string out = error;
  out.insert(end + 1, " (kernel Lua has integers only)");
  return out;
}

void PrintOutput(const ChunkResult& result) {
  std::cout.write(result.output.data(),
                  static_cast<std::streamsize>(result.output.size()));
  std::cout.flush();
  if (result.output_truncated) {
    std::cerr << "lunatik: print output cut at " << LUNATIK_OUTPUT_MAXSIZE
              << " bytes\n";
  }
}

bool PrintChunkResult(const ChunkResult& result) {
  PrintOutput(result);
  if (result.lua_error) {
    std::cerr << ExplainError(result.error) << '\n';
    return false;
  }
  for (size_t i = 0; i < result.values.size(); ++i) {
    if (i > 0) std::cout << '\t';
    std::cout << result.values[i].ToString();
  }
  if (!result.values.empty()) std::cout << '\n';
  std::cout.flush();
  return true;
}

int RunShell(Session* session, const ShellOptions& options) {
  StateInfo info;
  bool fresh = false;
  Status status = OpenState(session, options, &info, &fresh);
  if (!status.ok()) {
    std::cerr << "lunatik: " << status.message() << '\n';
    return 1;
  }
  const std::string& name = info.name;
  const bool interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (interactive) {
    PrintBanner(info, fresh);
    CatchInterrupts();
    CancelOnInterrupt(name);
  }
  g_session = session;
  g_state = name;
  LineReader reader(interactive);

  bool failed = false;
  bool exit_armed = false;  // a Ctrl-C at an empty prompt was just pressed
  std::string chunk;        // the lines of an incomplete statement so far
  std::string pending;      // its parser error, reported if input ends
  std::string line;
  for (;;) {
    g_interrupts = 0;
    DrainWakePipe();
    const bool more = !chunk.empty();
    if (!reader.Read(more ? kContinuePrompt : kPrompt, &line)) {
      if (more) {
        std::cerr << ExplainError(pending) << '\n';
        failed = true;
      }
      break;
    }
    if (g_interrupts > 0) {
      // Ctrl-C drops the line (and an incomplete statement); twice in a
      // row at an empty prompt it exits.
      const bool empty = line.empty() && chunk.empty();
      chunk.clear();
      if (empty && exit_armed) break;
      exit_armed = empty;
      if (empty) std::cout << "(Ctrl-C again or Ctrl-D to exit)\n";
      continue;
    }
    exit_armed = false;
    if (!more) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      // Lua 5.1's "=expr", still what many people type.
      if (line[0] == '=') line = "return " + line.substr(1);
    }
    if (more) {
      chunk += '\n';
      chunk += line;
    } else {
      chunk = line;
    }

    // From here a Ctrl-C cancels the line: its probe, then its chunk.
    const RunningLine running;
    Form form = Form::kStatement;
    std::string error;
    status = Classify(session, name, chunk, !more, &form, &error);
    if (g_interrupts > 0) {
      std::cerr << "interrupted\n";
      failed = true;
      chunk.clear();
      continue;
    }
    if (!status.ok()) {
      std::cerr << "lunatik: " << status.message() << '\n';
      failed = true;
      chunk.clear();
      if (status.code() == ENOENT) break;  // the state is gone
      continue;
    }
    if (form == Form::kIncomplete) {
      pending = error;
      continue;
    }
    reader.Remember(chunk);
    if (form == Form::kSyntaxError) {
      std::cerr << ExplainError(error) << '\n';
      failed = true;
      chunk.clear();
      continue;
    }
    const std::string code =
        form == Form::kExpression ? "return " + chunk : chunk;
    chunk.clear();
    ChunkResult result;
    status = session->DoString(name, code, kShellCodeName, &result);
    if (!status.ok()) {
      // A cancel that came before the chunk started leaves it unrun.
      if (status.code() == ECANCELED && g_interrupts > 0) {
        std::cerr << "interrupted\n";
      } else {
        std::cerr << "lunatik: " << status.message() << '\n';
      }
      failed = true;
      if (status.code() == ENOENT) break;
      continue;
    }
    if (!PrintChunkResult(result)) failed = true;
  }
  if (interactive) std::cout << '\n';
  g_session = nullptr;
  if (fresh && !options.keep) {
    status = session->DelState(name);
    if (!status.ok()) {
      std::cerr << "lunatik: " << status.message() << '\n';
      failed = true;
    }
  } else if (fresh && interactive) {
    std::cout << "state '" << name << "' is kept\n";
  }
  // A script piped in fails as a whole if any chunk failed.
  return failed && !interactive ? 1 : 0;
}

}  // namespace lunatik::cli
