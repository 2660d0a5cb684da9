// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Wall-clock timing for the benchmarks. Under emulation the host's load
// shifts the numbers, so a subject and its baseline are timed in
// alternating rounds and each keeps the median of its rounds: drift hits
// both alike.

#ifndef LUNATIK_BENCH_MEASURE_H_
#define LUNATIK_BENCH_MEASURE_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace lunatik::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Runs `op` until at least `seconds` have passed; returns seconds per call.
inline double SecondsPerCall(const std::function<void()>& op, double seconds) {
  int64_t calls = 0;
  int64_t batch = 1;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    for (int64_t i = 0; i < batch; ++i) op();
    calls += batch;
    // Grow batches so reading the clock costs nothing next to the work.
    batch = std::min<int64_t>(batch * 2, 256);
    elapsed = SecondsSince(start);
  } while (elapsed < seconds);
  return elapsed / static_cast<double>(calls);
}

// Seconds per call of a subject and of its baseline.
struct Pair {
  double subject = 0;
  double baseline = 0;
};

// Times `subject` and `baseline` in `rounds` alternating rounds of
// `seconds` each and returns the median seconds per call of each.
inline Pair Compare(const std::function<void()>& subject,
                    const std::function<void()>& baseline, double seconds,
                    int rounds) {
  std::vector<double> subject_rounds;
  std::vector<double> baseline_rounds;
  for (int i = 0; i < rounds; ++i) {
    subject_rounds.push_back(SecondsPerCall(subject, seconds));
    baseline_rounds.push_back(SecondsPerCall(baseline, seconds));
  }
  return {Median(subject_rounds), Median(baseline_rounds)};
}

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_MEASURE_H_
