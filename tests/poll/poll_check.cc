// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// lunatik-poll-check: checks that poll() on a Session's descriptor waits
// for data from several kernel states at once, and that a loop of poll()
// and Receive(name, 0) collects exactly the data each state sent, in order.
//
// Data sent while the loop waits comes from another session (a thread)
// running chunks in this session's states: netlink.send() goes to the
// states' receiver, this session, whoever runs the chunk.
//
// Prints one TAP line per check (a failure's detail follows as a comment
// line) and the plan at the end; exits 1 if any
// check fails. Runs inside the VM (tests/vm/data_poll_test.lua).

#include <fcntl.h>
#include <poll.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "lunatik/session.h"

namespace {

using lunatik::ChunkResult;
using lunatik::Session;
using lunatik::StateInfo;
using lunatik::Status;

constexpr int kStates = 3;
constexpr std::array<std::string_view, kStates> kNames = {
    "poll_check_0", "poll_check_1", "poll_check_2"};

// How long the loop waits for expected data before it gives up.
constexpr int kCollectTimeoutMs = 10000;
// How long poll() must stay quiet when nothing is pending.
constexpr int kQuietMs = 300;
// Wake-ups in a row that collect nothing before the loop calls it a spin:
// poll() says readable, yet Receive(name, 0) never takes the data.
constexpr int kMaxIdleWakeups = 100;

// Data collected per state, in arrival order.
using Collected = std::array<std::vector<std::string>, kStates>;

class Tap {
 public:
  void Check(bool ok, std::string_view what, std::string_view detail = {}) {
    ++count_;
    if (ok) {
      std::printf("ok %d - %.*s\n", count_, static_cast<int>(what.size()),
                  what.data());
    } else {
      ++failures_;
      std::printf("not ok %d - %.*s\n# %.*s\n", count_,
                  static_cast<int>(what.size()), what.data(),
                  static_cast<int>(detail.size()), detail.data());
    }
    std::fflush(stdout);
  }

  // Prints the plan; returns the exit status.
  int Finish() const {
    std::printf("1..%d\n", count_);
    return failures_ == 0 ? 0 : 1;
  }

 private:
  int count_ = 0;
  int failures_ = 0;
};

std::string Show(const std::vector<std::string>& messages) {
  std::string out = "{";
  for (const std::string& m : messages) {
    if (out.size() > 1) out += ", ";
    out += "'" + m + "'";
  }
  return out + "}";
}

std::string Show(const Collected& collected) {
  std::string out;
  for (int i = 0; i < kStates; ++i) {
    if (i > 0) out += " ";
    out += std::string(kNames[i]) + "=" + Show(collected[i]);
  }
  return out;
}

// Takes whatever Receive(name, 0) gives for every state; adds to *count.
// Returns false with *error set when Receive fails other than by timeout.
bool DrainAll(Session* session, Collected* collected, size_t* count,
              std::string* error) {
  for (int i = 0; i < kStates; ++i) {
    for (;;) {
      std::string data;
      const Status status = session->Receive(kNames[i], 0, &data);
      if (status.code() == ETIMEDOUT) break;
      if (!status.ok()) {
        *error =
            "Receive(" + std::string(kNames[i]) + ", 0): " + status.ToString();
        return false;
      }
      (*collected)[i].push_back(std::move(data));
      ++*count;
    }
  }
  return true;
}

// What a poll loop saw.
struct Collection {
  Collected data;
  int wakeups = 0;    // poll() calls that reported the socket readable
  std::string error;  // why the loop stopped early; empty when it did not
};

// Drains the queues and polls the descriptor until `want` messages came,
// setting *polling just before the first poll().
Collection Collect(Session* session, size_t want, std::atomic<bool>* polling) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(kCollectTimeoutMs);
  Collection collection;
  size_t count = 0;
  int idle_wakeups = 0;
  for (;;) {
    const size_t before = count;
    if (!DrainAll(session, &collection.data, &count, &collection.error)) {
      return collection;
    }
    if (count >= want) return collection;
    idle_wakeups = count == before ? idle_wakeups + 1 : 0;
    if (idle_wakeups > kMaxIdleWakeups) {
      collection.error =
          "poll() keeps reporting the socket readable but Receive(name, 0) "
          "takes nothing from it";
      return collection;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - Clock::now())
                          .count();
    if (left <= 0) {
      collection.error = "no more data within the time limit";
      return collection;
    }
    if (polling != nullptr) polling->store(true);
    pollfd pfd = {session->fd(), POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      collection.error = std::string("poll: ") + std::strerror(errno);
      return collection;
    }
    if (ready == 0) {
      collection.error = "poll() timed out with data missing";
      return collection;
    }
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
      collection.error =
          "poll() reported revents " + std::to_string(pfd.revents);
      return collection;
    }
    ++collection.wakeups;
  }
}

// Checks that nothing is pending: poll() stays quiet and no state has data.
void CheckQuiet(Tap* tap, Session* session, std::string_view what) {
  pollfd pfd = {session->fd(), POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, kQuietMs);
  } while (ready < 0 && errno == EINTR);
  Collected extra;
  size_t count = 0;
  std::string error;
  const bool drained = DrainAll(session, &extra, &count, &error);
  std::string detail = "poll() returned " + std::to_string(ready);
  if (!drained) detail += "; " + error;
  if (count > 0) detail += "; pending " + Show(extra);
  tap->Check(ready == 0 && drained && count == 0, what, detail);
}

// Runs `code` in state `name`; returns an empty string or what failed.
std::string Run(Session* session, std::string_view name,
                std::string_view code) {
  ChunkResult result;
  const Status status = session->DoString(name, code, "poll-check", &result);
  if (!status.ok()) return std::string(name) + ": " + status.ToString();
  if (result.lua_error) return std::string(name) + ": " + result.error;
  return {};
}

// The other session: once the poll loop waits, state 2 sends two messages,
// then state 0 one. Failures go to *failures.
void SendWhilePolling(const std::atomic<bool>* polling,
                      std::vector<std::string>* failures) {
  std::unique_ptr<Session> session;
  const Status status = Session::Open(&session);
  if (!status.ok()) {
    failures->push_back("open: " + status.ToString());
    return;
  }
  for (int waited = 0; !polling->load(); waited += 10) {
    if (waited > kCollectTimeoutMs) {
      failures->push_back("the poll loop never started");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Let the loop settle in poll(), so the data wakes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string failure =
      Run(session.get(), kNames[2],
          "assert(netlink.send('two-1')) assert(netlink.send('two-2'))");
  if (!failure.empty()) failures->push_back(failure);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  failure = Run(session.get(), kNames[0], "assert(netlink.send('zero-1'))");
  if (!failure.empty()) failures->push_back(failure);
}

void CheckCollected(Tap* tap, const Collection& collection,
                    const Collected& want, std::string_view what) {
  tap->Check(collection.error.empty(), std::string(what) + ": loop ends",
             collection.error + "; got " + Show(collection.data));
  for (int i = 0; i < kStates; ++i) {
    tap->Check(collection.data[i] == want[i],
               std::string(what) + ": " + std::string(kNames[i]) + " got " +
                   Show(want[i]),
               "got " + Show(collection.data[i]));
  }
}

int RunChecks(Tap* tap) {
  std::unique_ptr<Session> session;
  Status status = Session::Open(&session);
  tap->Check(status.ok(), "session opens", status.ToString());
  if (!status.ok()) return tap->Finish();
  const int fd = session->fd();
  tap->Check(fd > 0 && fcntl(fd, F_GETFD) != -1, "fd() is an open descriptor",
             "fd " + std::to_string(fd));

  std::string failures;
  for (std::string_view name : kNames) {
    session->DelState(name);  // left over from an aborted run
    StateInfo info;
    status = session->NewState(name, std::nullopt, &info);
    if (!status.ok()) failures += std::string(name) + ": " + status.ToString();
  }
  tap->Check(failures.empty(), "three states created", failures);
  if (!failures.empty()) return tap->Finish();

  CheckQuiet(tap, session.get(), "idle: poll() times out, nothing to receive");

  std::atomic<bool> polling = false;
  std::vector<std::string> sender_failures;
  std::thread sender(SendWhilePolling, &polling, &sender_failures);
  const Collection from_other = Collect(session.get(), 3, &polling);
  sender.join();
  std::string sender_detail;
  for (const std::string& f : sender_failures) sender_detail += f + "; ";
  tap->Check(sender_failures.empty(),
             "another session ran netlink.send in states 2 and 0",
             sender_detail);
  tap->Check(from_other.wakeups >= 1,
             "poll() woke up for data sent while it waited",
             "wake-ups: " + std::to_string(from_other.wakeups));
  CheckCollected(tap, from_other, {{{"zero-1"}, {}, {"two-1", "two-2"}}},
                 "sent while polling");
  CheckQuiet(tap, session.get(),
             "poll() times out when nothing more is pending");

  // Data that arrives during this session's own requests is read with
  // their replies and waits in the session's queues, not on the socket.
  std::string own =
      Run(session.get(), kNames[1], "assert(netlink.send('one-own'))");
  own += Run(session.get(), kNames[0], "assert(netlink.send('zero-own'))");
  tap->Check(own.empty(), "this session ran netlink.send in states 1 and 0",
             own);
  const Collection from_own = Collect(session.get(), 2, nullptr);
  CheckCollected(tap, from_own, {{{"zero-own"}, {"one-own"}, {}}},
                 "sent by own requests");
  CheckQuiet(tap, session.get(), "and then poll() times out again");

  tap->Check(session->fd() == fd, "fd() is the same for the whole session",
             "now " + std::to_string(session->fd()));
  failures.clear();
  for (std::string_view name : kNames) {
    status = session->DelState(name);
    if (!status.ok()) failures += std::string(name) + ": " + status.ToString();
  }
  tap->Check(failures.empty(), "states deleted", failures);
  return tap->Finish();
}

}  // namespace

int main() {
  Tap tap;
  return RunChecks(&tap);
}
