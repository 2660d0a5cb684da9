// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "interpreter.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>  // Also declares environ: g++ defines _GNU_SOURCE.

#include <cerrno>
#include <cstring>

#include "measure.h"

namespace lunatik::bench {

bool RunInterpreter(const std::string& interpreter, const std::string& code,
                    std::string* output, double* seconds) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    *output = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::string program = interpreter;
  std::string flag = "-e";
  std::string chunk = code;
  char* argv[] = {program.data(), flag.data(), chunk.data(), nullptr};

  const Clock::time_point start = Clock::now();
  pid_t pid;
  const int spawn_error =
      posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawn_error != 0) {
    close(pipe_fds[0]);
    *output = interpreter + ": " + std::strerror(spawn_error);
    return false;
  }
  output->clear();
  char buffer[4096];
  for (;;) {
    const ssize_t len = read(pipe_fds[0], buffer, sizeof(buffer));
    if (len > 0) {
      output->append(buffer, static_cast<size_t>(len));
    } else if (len == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  *seconds = SecondsSince(start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *output = interpreter + " failed: " + *output;
    return false;
  }
  return true;
}

}  // namespace lunatik::bench
