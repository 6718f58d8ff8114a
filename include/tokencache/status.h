// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Status and Result<T>: how every fallible tokencache call reports failure.
//
// A Status is OK, or it carries a Code the caller can switch on and a message
// for humans. Messages name the backend, file and operation; they never hold
// token text. Result<T> holds either a T or a non-OK Status.
//
// No tokencache function throws. Both types are cheap to move, and const
// methods may be called from several threads at once.

#ifndef TOKENCACHE_STATUS_H_
#define TOKENCACHE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "tokencache/export.h"

namespace tokencache {

// Why an operation failed. The numeric values are part of the C ABI
// (tokencache_code in c_api.h): add new codes at the end, never renumber.
enum class Code : int {
  kOk = 0,
  kInvalidArgument = 1,    // The caller passed something malformed.
  kNotFound = 2,           // A named thing (scheme, key file) does not exist.
  kNotSupported = 3,       // This backend, build or file system lacks it.
  kPermissionDenied = 4,   // The OS or keychain refused; symlink refused.
  kUnavailable = 5,        // A service is unreachable now; retrying may work.
  kLockTimeout = 6,        // The cache lock was not acquired in time.
  kConflict = 7,           // Another writer got there first; reload, retry.
  kCorrupted = 8,          // Stored data failed to parse or authenticate.
  kResourceExhausted = 9,  // Disk or map full; the previous cache is intact.
  kIoError = 10,           // Any other OS failure; see Status::os_error().
  kInternal = 11,          // A bug in tokencache or in an extension.
  kWrongKey = 12,          // Encrypted data was sealed under another key.
};

// Returns the stable upper-case name of `code`, such as "LOCK_TIMEOUT".
TOKENCACHE_EXPORT const char* CodeName(Code code);

// [[nodiscard]] sits on this forward declaration because GCC rejects it next
// to TOKENCACHE_EXPORT's __attribute__ in one class head. It still applies:
// ignoring a returned Status is a warning, and with -Werror an error.
class [[nodiscard]] Status;

class TOKENCACHE_EXPORT Status {
 public:
  // Creates an OK status.
  Status() = default;

  // Creates a status with `code` and `message`. `message` must not contain
  // secrets. `os_error` is the errno or Win32 error behind the failure, or 0.
  Status(Code code, std::string message, int os_error = 0);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  int os_error() const { return os_error_; }

  // Returns "OK", or "<CODE_NAME>: <message>" for an error.
  std::string ToString() const;

  // Returns a copy whose message is "`context`: <message>". OK stays OK.
  Status WithContext(std::string_view context) const;

  // Discards this status on purpose. Say why in a comment next to the call;
  // reviewers grep for it.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  int os_error_ = 0;
  std::string message_;
};

// Shorthands for the common codes. Each returns Status(code, message).
TOKENCACHE_EXPORT Status InvalidArgumentError(std::string message);
TOKENCACHE_EXPORT Status NotFoundError(std::string message);
TOKENCACHE_EXPORT Status CorruptedError(std::string message);
TOKENCACHE_EXPORT Status InternalError(std::string message);

// Either a T or the reason there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit, so that a function can `return value;` or `return status;`.
  // REQUIRES: `status` is not OK.
  Result(T value) : rep_(std::move(value)) {}  // NOLINT
  Result(Status status) : rep_(std::move(status)) {  // NOLINT
    if (std::get<Status>(rep_).ok()) {
      rep_ = Status(Code::kInternal, "Result built from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }

  // Returns OK when ok(), the error otherwise.
  Status status() const { return ok() ? Status() : std::get<Status>(rep_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_STATUS_H_
