// Seeded randomness and the ways the fuzzer breaks a valid request: on
// its fields (attributes, command, flags) and on its bytes.
#ifndef LUNATIK_TESTS_FUZZ_MUTATOR_H_
#define LUNATIK_TESTS_FUZZ_MUTATOR_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "wire.h"

namespace lunatik_fuzz {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(engine_);
  }
  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  std::string Bytes(size_t n);
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// Applies one field-level mutation to @request. Returns what it did.
std::string MutateFields(Rng* rng, Request* request);

// Applies one byte-level mutation to a serialized datagram. Returns what
// it did.
std::string MutateBytes(Rng* rng, std::string* bytes);

// Attribute-shaped garbage: random nests of random attributes.
std::string NestedGarbage(Rng* rng, int depth);

}  // namespace lunatik_fuzz

#endif  // LUNATIK_TESTS_FUZZ_MUTATOR_H_
