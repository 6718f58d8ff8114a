// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cli/output.h"

#include <cstdint>
#include <ctime>
#include <iostream>
#include <string>

namespace tokencache {
namespace cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitUsage;
    case Code::kNotFound: return kExitNotFound;
    case Code::kCorrupted:
    case Code::kWrongKey: return kExitCorrupted;
    case Code::kLockTimeout:
    case Code::kConflict:
    case Code::kUnavailable: return kExitBusy;
    case Code::kPermissionDenied: return kExitPermission;
    case Code::kIoError:
    case Code::kResourceExhausted: return kExitIo;
    case Code::kNotSupported:
    case Code::kInternal: return kExitFailure;
  }
  return kExitFailure;
}

int Fail(std::string_view what, const Status& status) {
  std::cerr << "tokencache: " << what << ": " << status.ToString() << "\n";
  return ExitCodeFor(status);
}

std::string UsageError(const boost::program_options::error& error) {
  namespace po = boost::program_options;
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&error)) {
    std::string name = unknown->get_option_name();
    return "unrecognised option '" + name.substr(0, name.find('=')) + "'";
  }
  if (const auto* invalid =
          dynamic_cast<const po::invalid_option_value*>(&error)) {
    return "invalid value for option '" + invalid->get_option_name() + "'";
  }
  if (dynamic_cast<const po::too_many_positional_options_error*>(&error)) {
    return "too many arguments";
  }
  // The remaining errors (a missing or repeated option, a missing
  // argument) name options only.
  return error.what();
}

std::string Redacted(const SecretBytes& secret) {
  if (secret.empty()) return "<none>";
  return "<redacted, " + std::to_string(secret.size()) + " bytes>";
}

std::string FormatTime(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_seconds);
  char buf[32];
  if (std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
}

std::string FormatRelative(std::int64_t when, std::int64_t now) {
  if (when == 0) return "-";
  // `when` comes from the cache file and may be any int64: when - now (and
  // its negation) could overflow, so the distance is taken unsigned, where
  // it is exact for any two int64 values.
  const bool past = when < now;
  const std::uint64_t s =
      past ? static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(when)
           : static_cast<std::uint64_t>(when) - static_cast<std::uint64_t>(now);
  std::string text;
  if (s >= 86400 * 365) {
    text = std::to_string(s / (86400 * 365)) + "y";
  } else if (s >= 86400) {
    text = std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) +
           "h";
  } else if (s >= 3600) {
    text = std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) +
           "m";
  } else if (s >= 60) {
    text = std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  } else {
    text = std::to_string(s) + "s";
  }
  return past ? text + " ago" : "in " + text;
}

}  // namespace cli
}  // namespace tokencache
