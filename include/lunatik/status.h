// Copyright The Lunatik authors. SPDX-License-Identifier: MIT
//
// A Status says whether an operation succeeded and, if not, why: a positive
// errno value and a message a user can act on. Nothing in liblunatik throws
// to report a failure; every operation returns a Status.

#ifndef LUNATIK_INCLUDE_LUNATIK_STATUS_H_
#define LUNATIK_INCLUDE_LUNATIK_STATUS_H_

#include <string>
#include <utility>

namespace lunatik {

class Status {
 public:
  // Creates a success status.
  Status() = default;

  // Returns a success status.
  static Status OK() { return Status(); }

  // Returns a failure with errno value `code` (positive, non-zero) and a
  // message that says what went wrong in the user's words.
  static Status Error(int code, std::string message) {
    return Status(code, std::move(message));
  }

  // Returns true if the operation succeeded.
  bool ok() const { return code_ == 0; }

  // Returns the errno value of a failure, 0 on success.
  int code() const { return code_; }

  // Returns the message of a failure, empty on success.
  const std::string& message() const { return message_; }

  // Returns "ok" or the failure's message, for printing.
  std::string ToString() const { return ok() ? "ok" : message_; }

 private:
  Status(int code, std::string message)
      : code_(code), message_(std::move(message)) {}

  int code_ = 0;
  std::string message_;
};

}  // namespace lunatik

#endif  // LUNATIK_INCLUDE_LUNATIK_STATUS_H_
