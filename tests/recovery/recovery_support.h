// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the recovery and F4 tests: a small cache with canary
// secrets, whole-file reads and writes, directory listings, and the JSON
// report line of the reliability plan.

#ifndef TOKENCACHE_TESTS_RECOVERY_RECOVERY_SUPPORT_H_
#define TOKENCACHE_TESTS_RECOVERY_RECOVERY_SUPPORT_H_

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "tokencache/schema.h"
#include "tokencache/secret.h"

namespace tokencache {
namespace test {

// A secret that must never appear in any output.
inline std::string Canary(const std::string& what, int i) {
  return "CANARY-" + what + "-" + std::to_string(i) + "-q7Zx";
}

// `n` accounts, each with an access, refresh and ID token, plus app
// metadata: a cache of about n * 1 KiB in MSAL JSON.
inline CacheSnapshot SampleSnapshot(int n) {
  CacheSnapshot snapshot;
  for (int i = 0; i < n; ++i) {
    const std::string home = "uid" + std::to_string(i) + ".utid";
    Account account;
    account.home_account_id = home;
    account.environment = "login.microsoftonline.com";
    account.realm = "utid";
    account.local_account_id = "uid" + std::to_string(i);
    account.username = "user" + std::to_string(i) + "@example.com";
    account.authority_type = "MSSTS";
    snapshot.accounts.push_back(account);

    AccessToken at;
    at.home_account_id = home;
    at.environment = "login.microsoftonline.com";
    at.client_id = "client-a";
    at.realm = "utid";
    at.target = "user.read mail.read";
    at.secret = SecretBytes(Canary("at", i));
    at.cached_at = 1700000000;
    at.expires_on = 1700003600;
    at.extended_expires_on = 1700007200;
    snapshot.access_tokens.push_back(std::move(at));

    RefreshToken rt;
    rt.home_account_id = home;
    rt.environment = "login.microsoftonline.com";
    rt.client_id = "client-a";
    rt.secret = SecretBytes(Canary("rt", i));
    snapshot.refresh_tokens.push_back(std::move(rt));

    IdToken idt;
    idt.home_account_id = home;
    idt.environment = "login.microsoftonline.com";
    idt.client_id = "client-a";
    idt.realm = "utid";
    idt.secret = SecretBytes(Canary("idt", i));
    snapshot.id_tokens.push_back(std::move(idt));
  }
  AppMetadata app;
  app.client_id = "client-a";
  app.environment = "login.microsoftonline.com";
  snapshot.app_metadata.push_back(app);
  return snapshot;
}

inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::filesystem::path& path,
                       const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The names in `dir` (not recursive).
inline std::set<std::string> ListNames(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

inline unsigned ModeOf(const std::filesystem::path& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0xffffffffu;
  return static_cast<unsigned>(st.st_mode & 07777);
}

// One line {id, params, figures, bar, pass} on stdout (reliability plan).
inline void ReportLine(const std::string& id, const std::string& params,
                       const std::string& figures, const std::string& bar,
                       bool pass) {
  std::printf(
      "{\"id\":\"%s\",\"params\":{%s},\"figures\":{%s},\"bar\":\"%s\","
      "\"pass\":%s}\n",
      id.c_str(), params.c_str(), figures.c_str(), bar.c_str(),
      pass ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_RECOVERY_RECOVERY_SUPPORT_H_
