// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "cli/shell.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace lunatik::cli {

namespace {

// Errors read "stdin:1: ..." as in Lua's own REPL.
constexpr std::string_view kShellCodeName = "stdin";

// Turns Ctrl-C into a cancel of whatever runs in state `name`: SIGINT is
// blocked in every thread and taken by one that waits for it and sends the
// cancel on a session of its own, since the shell's session is busy
// waiting for the chunk's reply. Returns false when that is not possible;
// Ctrl-C then ends the shell as usual.
bool CancelOnInterrupt(std::string_view name) {
  std::unique_ptr<Session> canceller;
  if (!Session::Open(&canceller).ok()) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return false;
  std::thread([canceller = std::move(canceller), name = std::string(name),
               set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      const Status status = canceller->Cancel(name);
      if (!status.ok()) std::cerr << "\n" << status.message() << '\n';
    }
  }).detach();
  return true;
}

}  // namespace

bool PrintChunkResult(const ChunkResult& result) {
  if (result.lua_error) {
    std::cerr << result.error << '\n';
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

int RunShell(Session* session, std::string_view name) {
  StateInfo info;
  Status status = session->GetState(name, &info);
  if (status.code() == ENOENT) {
    status = session->NewState(name, std::nullopt, &info);
  }
  if (!status.ok()) {
    std::cerr << "lunatik: " << status.message() << '\n';
    return 1;
  }
  const bool interactive = isatty(STDIN_FILENO);
  const bool cancels = CancelOnInterrupt(name);
  if (interactive) {
    std::cout << "Lua in the kernel, state '" << info.name
              << "'. End with Ctrl-D"
              << (cancels ? "; Ctrl-C interrupts a running chunk.\n" : ".\n");
  }
  bool failed = false;
  std::string line;
  for (;;) {
    if (interactive) std::cout << "lunatik> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line[0] == '=') line = "return " + line.substr(1);
    ChunkResult result;
    status = session->DoString(name, line, kShellCodeName, &result);
    if (!status.ok()) {
      std::cerr << status.message() << '\n';
      failed = true;
      continue;
    }
    if (!PrintChunkResult(result)) failed = true;
  }
  if (interactive) std::cout << '\n';
  // A script piped in fails as a whole if any line failed.
  return failed && !interactive ? 1 : 0;
}

}  // namespace lunatik::cli
