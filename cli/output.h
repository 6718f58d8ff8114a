// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// What every command shares: the exit codes, error printing, the
// redaction of secrets and a small JSON writer for --json output.

#ifndef TOKENCACHE_CLI_OUTPUT_H_
#define TOKENCACHE_CLI_OUTPUT_H_

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include <boost/program_options/errors.hpp>

#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {
namespace cli {

// Exit codes, documented in `tokencache --help`. Stable: scripts switch on
// them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // Anything not listed below.
  kExitUsage = 2,            // Bad command line or cache URI.
  kExitNotFound = 3,         // A named account, file or scheme is missing.
  kExitCorrupted = 4,        // The cache does not parse or authenticate,
                             // or was sealed with another key.
  kExitBusy = 5,             // Lock timeout, conflict, service unavailable.
  kExitPermission = 6,       // The OS refused access; symlink refused.
  kExitIo = 7,               // I/O error; disk or quota full.
  kExitUiRequired = 10,      // acquire-silent: the user must sign in.
  kExitTransient = 11,       // acquire-silent: the service failed; retry.
};

// Maps a failed Status to the exit code for it.
int ExitCodeFor(const Status& status);

// Prints "tokencache: <what>: <status>" to stderr and returns the exit code.
int Fail(std::string_view what, const Status& status);

// Describes a command-line error without quoting what was typed: an
// unknown "--refresh-token=<token>" or a bad option value may carry a
// pasted secret, so only option names are shown.
std::string UsageError(const boost::program_options::error& error);

// Returns "<redacted, N bytes>" (or "<none>" when empty): how a secret is
// shown unless --show-secrets was given.
std::string Redacted(const SecretBytes& secret);

// Formats a Unix time as "2026-11-26T06:35:12Z", or "-" for 0.
std::string FormatTime(std::int64_t unix_seconds);

// Formats how far `when` lies from `now`: "in 59m 12s", "3h ago", "-".
std::string FormatRelative(std::int64_t when, std::int64_t now);

}  // namespace cli
}  // namespace tokencache

#endif  // TOKENCACHE_CLI_OUTPUT_H_
