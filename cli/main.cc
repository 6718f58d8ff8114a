// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache [--cache URI] COMMAND [ARGS]`: inspect and maintain token
// caches. Global options come before the command; each command has --help.

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "tokencache/version.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

constexpr char kCommands[] =
    "Commands:\n"
    "  import FILE          merge an MSAL JSON cache file into the cache\n"
    "  export [-o FILE]     write the cache as MSAL JSON (stdout by default)\n"
    "  accounts [--json]    list the accounts\n"
    "  tokens [--json]      list tokens; secrets only with --show-secrets\n"
    "  remove-account ID    remove an account's tokens everywhere\n"
    "  migrate --to URI     copy the cache into another cache (any store)\n"
    "  purge-expired        remove expired access tokens (--dry-run counts)\n"
    "  stats [--json]       entries per kind and partition, sizes; no secrets\n"
    "  demo [--keep]        show the cache working end to end\n"
    "  acquire-silent ...   get a token silently (cache or refresh token)\n"
    "  doctor               which keychains and key sources work here\n"
    "  verify               check the cache reads back whole; changes nothing\n"
    "  recover [--force]    set an unreadable cache file aside, start empty\n"
    "Run 'tokencache COMMAND --help' for a command's options.\n";

constexpr char kExitCodes[] =
    "Exit codes:\n"
    "   0  success\n"
    "   1  failure not listed below (an internal error)\n"
    "   2  bad command line, cache URI or URI option\n"
    "   3  not found: no such account, file or URI scheme\n"
    "   4  the cache is corrupt or tampered with, or was sealed with another\n"
    "      key; it is left untouched\n"
    "   5  busy: lock timeout, conflicting writer or service unavailable;\n"
    "      retrying may work\n"
    "   6  permission denied (including a refused symbolic link)\n"
    "   7  I/O error, disk or quota full; the previous cache is intact\n"
    "  10  acquire-silent: user interaction required\n"
    "  11  acquire-silent: transient or service error\n";

std::string DefaultCacheUri() {
  if (const char* env = std::getenv("TOKENCACHE_CACHE"); env && *env) {
    return env;
  }
  std::string base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home == '/') {
    base = std::string(home) + "/.cache";
  } else {
    base = "/tmp";
  }
  return "file://" + base + "/tokencache/msal_cache.json";
}

int Main(int argc, char** argv) {
  const std::string default_uri = DefaultCacheUri();
  po::options_description global("Global options");
  global.add_options()
      ("cache,c", po::value<std::string>(),
       ("cache URI (default: $TOKENCACHE_CACHE, else " + default_uri +
        "); e.g. memory:, file:///path/cache.json?key=file:/path/key")
           .c_str())
      ("help,h", "show this help")
      ("version", "print the version");
  po::options_description hidden;
  hidden.add_options()
      ("command", po::value<std::string>())
      ("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(global).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  po::parsed_options parsed(&all);
  try {
    parsed = po::command_line_parser(argc, argv)
                 .options(all)
                 .positional(positional)
                 .allow_unregistered()
                 .run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache: " << UsageError(e)
              << "\nTry 'tokencache --help'.\n";
    return kExitUsage;
  }
  if (vm.count("version") != 0) {
    std::cout << "tokencache " << TOKENCACHE_VERSION_MAJOR << "."
              << TOKENCACHE_VERSION_MINOR << "." << TOKENCACHE_VERSION_PATCH
              << "\n";
    return kExitOk;
  }
  if (vm.count("command") == 0) {
    bool asked = vm.count("help") != 0;
    (asked ? std::cout : std::cerr)
        << "Usage: tokencache [--cache URI] COMMAND [ARGS]\n"
        << "Inspect and maintain MSAL-compatible token caches.\n\n"
        << global << "\n"
        << kCommands << "\n"
        << kExitCodes;
    return asked ? kExitOk : kExitUsage;
  }
  const std::string command = vm["command"].as<std::string>();
  // Everything after the command, options included, belongs to it.
  std::vector<std::string> args =
      po::collect_unrecognized(parsed.options, po::include_positional);
  if (!args.empty() && args.front() == command) args.erase(args.begin());
  if (vm.count("help") != 0) args.push_back("--help");

  const bool uri_given = vm.count("cache") != 0;
  const std::string uri =
      uri_given ? vm["cache"].as<std::string>() : default_uri;
  if (command == "import") return RunImport(uri, args);
  if (command == "export") return RunExport(uri, args);
  if (command == "accounts") return RunAccounts(uri, args);
  if (command == "tokens") return RunTokens(uri, args);
  if (command == "remove-account") return RunRemoveAccount(uri, args);
  if (command == "migrate") return RunMigrate(uri, args);
  if (command == "purge-expired") return RunPurgeExpired(uri, args);
  if (command == "stats") return RunStats(uri, args);
  if (command == "demo") return RunDemo(uri, uri_given, args);
  if (command == "acquire-silent") return RunAcquireSilent(uri, args);
  if (command == "doctor") return RunDoctor(args);
  if (command == "verify") return RunVerify(uri, args);
  if (command == "recover") return RunRecover(uri, args);
  std::cerr << "tokencache: unknown command '" << command << "'\n"
            << kCommands;
  return kExitUsage;
}

}  // namespace
}  // namespace cli
}  // namespace tokencache

int main(int argc, char** argv) {
  try {
    return tokencache::cli::Main(argc, argv);
  } catch (const std::exception&) {
    // Exception text could quote input; report the fact only.
    std::cerr << "tokencache: internal error (unexpected exception)\n";
    return tokencache::cli::kExitFailure;
  }
}
