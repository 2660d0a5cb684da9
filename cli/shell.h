// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Printing what kernel Lua code did, and the interactive shell.

#ifndef LUNATIK_CLI_SHELL_H_
#define LUNATIK_CLI_SHELL_H_

#include <string>

#include "lunatik/session.h"
#include "lunatik/value.h"

namespace lunatik::cli {

// Returns a Lua error message with a hint where kernel Lua surprises: a
// float literal is a syntax error there ("malformed number near '1.5'").
std::string ExplainError(const std::string& error);

// Writes what the code printed to stdout as it is, and a note to stderr
// when the kernel cut it (LUNATIK_OUTPUT_MAXSIZE).
void PrintOutput(const ChunkResult& result);

// Prints the output (PrintOutput), then the values of a successful chunk to
// stdout, tab-separated on one line like Lua's REPL (nothing when there are
// none), or its error (with ExplainError's hint) to stderr. Returns false
// for an error.
bool PrintChunkResult(const ChunkResult& result);

struct ShellOptions {
  // The state to use, created when missing and then kept. Empty: a fresh
  // state named for this process ("shell-PID").
  std::string name;
  // Keep the fresh state when the shell ends.
  bool keep = false;
};

// Reads Lua from stdin and runs it in a kernel state the way lua5.4's
// prompt does: a line is tried as `return LINE` first, then as a
// statement; an incomplete statement reads more lines. On a terminal it
// edits lines (history in ~/.lunatik_history, Tab completes names looked
// up in the state) and shows a banner and prompts; piped, it shows neither.
// Returns the exit code: 1 when reading from a pipe and a chunk failed,
// or when the state could not be had; else 0.
int RunShell(Session* session, const ShellOptions& options);

}  // namespace lunatik::cli

#endif  // LUNATIK_CLI_SHELL_H_
