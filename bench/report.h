// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// The table `make bench` prints: one row per result, each against a
// baseline measured in the same run.

#ifndef LUNATIK_BENCH_REPORT_H_
#define LUNATIK_BENCH_REPORT_H_

#include <string>
#include <vector>

namespace lunatik::bench {

struct Row {
  std::string name;
  double value = 0;
  std::string unit;
  std::string baseline_name;  // empty: the row has no baseline
  double baseline = 0;        // same unit as value
  // "<= 1.5" or ">= 0.8" when the project set a target for value/baseline;
  // empty otherwise.
  std::string target;
};

class Report {
 public:
  void Add(Row row) { rows_.push_back(std::move(row)); }

  // Prints the table to stdout, ratio = value / baseline, and a line per
  // target saying whether it was met. Returns the number of targets missed.
  int Print() const;

 private:
  std::vector<Row> rows_;
};

}  // namespace lunatik::bench

#endif  // LUNATIK_BENCH_REPORT_H_
