// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Runs a user-space Lua interpreter as a process and times it.

#ifndef LUNATIK_BENCH_INTERPRETER_H_
#define LUNATIK_BENCH_INTERPRETER_H_

#include <string>

namespace lunatik::bench {

// Runs `interpreter -e CODE`, stores what it printed in *output and the
// wall-clock seconds from spawn to exit in *seconds. Returns false, saying
// why in *output, if it could not run or did not exit with status 0.
bool RunInterpreter(const std::string& interpreter, const std::string& code,
                    std::string* output, double* seconds);

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_INTERPRETER_H_
