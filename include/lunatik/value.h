// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// Values a chunk running in the kernel returns, and the outcome of running
// Lua code there.

#ifndef LUNATIK_INCLUDE_LUNATIK_VALUE_H_
#define LUNATIK_INCLUDE_LUNATIK_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lunatik {

// One Lua value as the kernel sends it back: nil, a boolean, an integer or a
// string (which may hold any bytes). The kernel sends other Lua types as
// their tostring().
class Value {
 public:
  enum class Type { kNil, kBoolean, kInteger, kString };

  // Creates nil.
  Value() = default;

  // Returns a boolean value.
  static Value Boolean(bool b) {
    Value v;
    v.type_ = Type::kBoolean;
    v.integer_ = b ? 1 : 0;
    return v;
  }

  // Returns an integer value.
  static Value Integer(int64_t i) {
    Value v;
    v.type_ = Type::kInteger;
    v.integer_ = i;
    return v;
  }

  // Returns a string value holding `bytes`.
  static Value String(std::string bytes) {
    Value v;
    v.type_ = Type::kString;
    v.string_ = std::move(bytes);
    return v;
  }

  // Returns the value's type.
  Type type() const { return type_; }

  // Returns the boolean; only meaningful when type() is kBoolean.
  bool boolean() const { return integer_ != 0; }

  // Returns the integer; only meaningful when type() is kInteger.
  int64_t integer() const { return integer_; }

  // Returns the bytes; only meaningful when type() is kString.
  const std::string& string() const { return string_; }

  // Appends `bytes` to a string value, as a reply split over several
  // messages is put back together; only meaningful when type() is kString.
  void AppendString(std::string_view bytes) { string_.append(bytes); }

  // Returns the value as Lua's print() would show it.
  std::string ToString() const {
    switch (type_) {
      case Type::kNil:
        return "nil";
      case Type::kBoolean:
        return boolean() ? "true" : "false";
      case Type::kInteger:
        return std::to_string(integer_);
      case Type::kString:
        return string_;
    }
    return "nil";
  }

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string string_;
};

// What running Lua code in a kernel state did. The request itself succeeded
// (its Status is ok); the Lua code either returned `values` or raised
// `error`, the Lua message with a traceback (up to LUNATIK_RESULTS_MAXSIZE
// bytes, cut at its first NUL).
//
// `output` is what the code printed with print() while it ran, each call's
// arguments joined by tabs and ended by a newline, any bytes included; the
// kernel keeps at most LUNATIK_OUTPUT_MAXSIZE (64 KiB) of it per request,
// and `output_truncated` says the code printed more than that (the output
// then holds the first bytes). The kernel log gets every print() too.
struct ChunkResult {
  bool lua_error = false;
  std::string error;
  std::vector<Value> values;
  std::string output;
  bool output_truncated = false;
};

}  // namespace lunatik

#endif  // LUNATIK_INCLUDE_LUNATIK_VALUE_H_
