// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/status.h"

#include <utility>

namespace tokencache {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kNotSupported: return "NOT_SUPPORTED";
    case Code::kPermissionDenied: return "PERMISSION_DENIED";
    case Code::kUnavailable: return "UNAVAILABLE";
    case Code::kLockTimeout: return "LOCK_TIMEOUT";
    case Code::kConflict: return "CONFLICT";
    case Code::kCorrupted: return "CORRUPTED";
    case Code::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case Code::kIoError: return "IO_ERROR";
    case Code::kInternal: return "INTERNAL";
    case Code::kWrongKey: return "WRONG_KEY";
  }
  return "UNKNOWN";
}

Status::Status(Code code, std::string message, int os_error)
    : code_(code), os_error_(os_error), message_(std::move(message)) {}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = CodeName(code_);
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(code_, std::move(message), os_error_);
}

Status InvalidArgumentError(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message));
}
Status NotFoundError(std::string message) {
  return Status(Code::kNotFound, std::move(message));
}
Status CorruptedError(std::string message) {
  return Status(Code::kCorrupted, std::move(message));
}
Status InternalError(std::string message) {
  return Status(Code::kInternal, std::move(message));
}

}  // namespace tokencache
