// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The subcommands of `tokencache`. Each takes the cache URI and the
// arguments after the command name, and returns the process exit code
// (output.h).

#ifndef TOKENCACHE_CLI_COMMANDS_H_
#define TOKENCACHE_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace tokencache {
namespace cli {

using Args = std::vector<std::string>;

int RunImport(const std::string& uri, const Args& args);
int RunExport(const std::string& uri, const Args& args);
int RunAccounts(const std::string& uri, const Args& args);
int RunTokens(const std::string& uri, const Args& args);
int RunRemoveAccount(const std::string& uri, const Args& args);
// migrate.cc: copy a cache into another store; drop expired access
// tokens; count what a cache holds.
int RunMigrate(const std::string& uri, const Args& args);
int RunPurgeExpired(const std::string& uri, const Args& args);
int RunStats(const std::string& uri, const Args& args);
// `uri_given` is false when the user did not pass --cache: the demo then
// uses a fresh file cache in a temporary directory.
int RunDemo(const std::string& uri, bool uri_given, const Args& args);
// acquire_silent.cc: MSAL's AcquireTokenSilent through the Resolver.
int RunAcquireSilent(const std::string& uri, const Args& args);
// Reports which keychains and key sources work here (cli/doctor.cc). It
// opens no cache, so it takes no URI.
int RunDoctor(const Args& args);
// verify.cc: check a cache without changing it; set an unreadable one
// aside (include/tokencache/recovery.h).
int RunVerify(const std::string& uri, const Args& args);
int RunRecover(const std::string& uri, const Args& args);

}  // namespace cli
}  // namespace tokencache

#endif  // TOKENCACHE_CLI_COMMANDS_H_
