// Copyright The Lunatik authors. SPDX-License-Identifier: MIT

#include "report.h"

#include <cstdio>
#include <string>

namespace lunatik::bench {

namespace {

// Three significant digits at any magnitude, no exponent.
std::string Format(double value) {
  char text[64];
  if (value >= 100) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else if (value >= 10) {
    std::snprintf(text, sizeof(text), "%.1f", value);
  } else if (value >= 1) {
    std::snprintf(text, sizeof(text), "%.2f", value);
  } else {
    std::snprintf(text, sizeof(text), "%.3g", value);
  }
  return text;
}

bool Met(const std::string& target, double ratio) {
  const double bound = std::stod(target.substr(3));
  return target.compare(0, 2, "<=") == 0 ? ratio <= bound : ratio >= bound;
}

}  // namespace

int Report::Print() const {
  std::printf("%-44s %12s %-8s %-32s %7s %s\n", "benchmark", "value", "unit",
              "baseline", "ratio", "target");
  int missed = 0;
  for (const Row& row : rows_) {
    std::string baseline = "-";
    std::string ratio = "-";
    std::string target = row.target;
    if (!row.baseline_name.empty()) {
      baseline = Format(row.baseline) + " (" + row.baseline_name + ")";
      const double value_ratio = row.value / row.baseline;
      ratio = Format(value_ratio);
      if (!target.empty()) {
        const bool met = Met(target, value_ratio);
        target += met ? " met" : " MISSED";
        missed += met ? 0 : 1;
      }
    }
    std::printf("%-44s %12s %-8s %-32s %7s %s\n", row.name.c_str(),
                Format(row.value).c_str(), row.unit.c_str(), baseline.c_str(),
                ratio.c_str(), target.c_str());
  }
  return missed;
}

}  // namespace lunatik::bench
