// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Printing what kernel Lua code did, and the interactive shell.

#ifndef LUNATIK_CLI_SHELL_H_
#define LUNATIK_CLI_SHELL_H_

#include <string_view>

#include "lunatik/session.h"
#include "lunatik/value.h"

namespace lunatik::cli {

// Prints the values of a successful chunk to stdout, tab-separated on one
// line like Lua's REPL (nothing when there are none), or its error to
// stderr. Returns false for an error.
bool PrintChunkResult(const ChunkResult& result);

// Reads lines from stdin until end of file and runs each in state `name`,
// which is created when it does not exist. A line starting with '=' runs as
// "return" followed by the rest. Prompts only when stdin is a terminal.
// Returns the process exit code: 1 when a line failed and stdin is not a
// terminal, else 0. Ctrl-C (SIGINT) interrupts the chunk that runs, which
// then fails with "interrupted", and the shell goes on.
int RunShell(Session* session, std::string_view name);

}  // namespace lunatik::cli

#endif  // LUNATIK_CLI_SHELL_H_
