// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache verify` and `tokencache recover`: the command-line face of
// include/tokencache/recovery.h. verify changes nothing and exits 4 when
// the cache is corrupt, tampered with or sealed with another key; recover
// moves such a file aside so the cache starts empty, and says where the
// old bytes went. Neither prints token text: the reports hold none.

#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"
#include "tokencache/recovery.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

// Parses `args` against `options`. Returns false (with *exit_code) when the
// command must stop: a usage error, or --help was shown.
bool Parse(const char* command, const char* summary, const Args& args,
           const po::options_description& options, po::variables_map* vm,
           int* exit_code) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(all).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache " << command << ": " << UsageError(e)
              << "\nTry 'tokencache " << command << " --help'.\n";
    *exit_code = kExitUsage;
    return false;
  }
  if (vm->count("help") != 0) {
    std::cout << "Usage: tokencache [--cache URI] " << command << " [options]\n"
              << summary << "\n"
              << all;
    *exit_code = kExitOk;
    return false;
  }
  return true;
}

void PrintCounts(const SectionCounts& counts) {
  std::cout << "  accounts: " << counts.accounts << "\n"
            << "  access tokens: " << counts.access_tokens << "\n"
            << "  refresh tokens: " << counts.refresh_tokens << "\n"
            << "  ID tokens: " << counts.id_tokens << "\n"
            << "  app metadata: " << counts.app_metadata << "\n"
            << "  other sections: " << counts.unknown_sections << "\n";
}

void PrintReport(const VerifyReport& report) {
  std::cout << "cache file: " << report.path << "\n"
            << "format: " << report.format
            << (report.encrypted ? ", encrypted" : "") << "\n";
  if (!report.exists) {
    std::cout << "state: no file yet (opens as an empty cache)\n";
    return;
  }
  std::cout << "size: " << report.bytes << " bytes\n"
            << "state: "
            << (report.code == Code::kOk ? "OK" : CodeName(report.code))
            << "\n";
  if (report.code == Code::kOk) {
    PrintCounts(report.counts);
  } else {
    std::cout << "problem: " << report.detail << "\n";
  }
}

}  // namespace

int RunVerify(const std::string& uri, const Args& args) {
  po::options_description options("verify options");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!Parse("verify",
             "Checks that the cache reads back whole (parses, checksums and "
             "decrypts) without\nchanging anything. Exit 0 when it does, 4 "
             "when it is corrupt, tampered with or\nsealed with another key.",
             args, options, &vm, &exit_code)) {
    return exit_code;
  }
  Result<VerifyReport> report = VerifyCache(uri);
  if (!report.ok()) return Fail("verify", report.status());
  PrintReport(*report);
  if (report->code == Code::kOk) return kExitOk;
  if (report->code == Code::kWrongKey) {
    std::cout << "The data may be fine with the right key; 'tokencache "
                 "recover --force-wrong-key'\nsets it aside and starts "
                 "empty.\n";
  } else if (!report->readable_as.empty()) {
    std::cout << "Fix the cache URI (it reads fine as " << report->readable_as
              << ") instead of recovering.\n";
  } else {
    std::cout << "Nothing was changed. 'tokencache recover' sets the file "
                 "aside and starts empty.\n";
  }
  return kExitCorrupted;
}

int RunRecover(const std::string& uri, const Args& args) {
  po::options_description options("recover options");
  // clang-format off
  options.add_options()
      ("force", "also set aside a cache that verifies OK")
      ("force-wrong-key",
       "also set aside a cache sealed with another key (or written by a "
       "newer tokencache)");
  // clang-format on
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!Parse("recover",
             "Moves an unreadable cache file aside (to "
             "<file>.corrupt-<UTC time>-<random>, mode 0600)\nunder the "
             "cache's write lock, so that the cache starts empty. Nothing is "
             "deleted.",
             args, options, &vm, &exit_code)) {
    return exit_code;
  }
  RecoverOptions recover;
  recover.force = vm.count("force") != 0;
  recover.force_wrong_key = vm.count("force-wrong-key") != 0;
  Result<RecoverReport> report = RecoverCache(uri, recover);
  if (!report.ok()) return Fail("recover", report.status());
  std::cout << "was: "
            << (report->found.code == Code::kOk ? "OK"
                                                : CodeName(report->found.code));
  if (report->found.code != Code::kOk) {
    std::cout << " (" << report->found.detail << ")";
  }
  std::cout << "\nquarantined to: " << report->quarantine_path << "\n"
            << "The cache now starts empty.\n";
  return kExitOk;
}

}  // namespace cli
}  // namespace tokencache
