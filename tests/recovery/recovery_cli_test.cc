// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache verify` and `tokencache recover` run as real processes: exit
// codes, what they print (never token text), and that verify changes
// nothing while recover sets the file aside.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/recovery/recovery_support.h"
#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/key_source.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run Cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                                   TOKENCACHE_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = test::ChildProcess::Spawn(argv);
  std::string out;
  for (const std::string& line : child->ReadAllLines()) out += line + "\n";
  int status = child->Wait();
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), out};
}

void Populate(const std::string& uri) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  REQUIRE_OK((*cache)->Import(test::SampleSnapshot(2)));
}

TEST_CASE(
    "tokencache verify exits 0 for a healthy cache and shows counts, "
    "not tokens",
    "[recovery][cli]") {
  test::TempDir dir;
  const std::string uri = "file://" + (dir / "cache.json").string();
  Populate(uri);
  Run run = Cli({"--cache", uri, "verify"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("state: OK") != std::string::npos);
  CHECK(run.output.find("access tokens: 2") != std::string::npos);
  CHECK(run.output.find("CANARY") == std::string::npos);
}

TEST_CASE(
    "tokencache verify exits 4 for a corrupt or wrongly keyed cache "
    "and changes nothing",
    "[recovery][cli]") {
  test::TempDir dir;
  const auto file = dir / "cache.enc";
  const std::string uri =
      "file://" + file.string() + "?key=file:" + (dir / "k1").string();
  Populate(uri);
  const std::string sealed = test::ReadBytes(file);
  REQUIRE_OK((*NewKeyFileKeySource((dir / "k2").string()))->GetCipher());
  const auto names = test::ListNames(dir.path());

  Run wrong =
      Cli({"--cache",
           "file://" + file.string() + "?key=file:" + (dir / "k2").string(),
           "verify"});
  INFO(wrong.output);
  CHECK(wrong.exit_code == 4);
  CHECK(wrong.output.find("WRONG_KEY") != std::string::npos);

  std::string tampered = sealed;
  tampered[100] = static_cast<char>(tampered[100] ^ 0x40);
  test::WriteBytes(file, tampered);
  Run corrupt = Cli({"--cache", uri, "verify"});
  INFO(corrupt.output);
  CHECK(corrupt.exit_code == 4);
  CHECK(corrupt.output.find("CORRUPTED") != std::string::npos);
  CHECK(corrupt.output.find("CANARY") == std::string::npos);
  CHECK(test::ReadBytes(file) == tampered);
  CHECK(test::ListNames(dir.path()) == names);
}

TEST_CASE(
    "tokencache recover sets a corrupt cache aside and says where, and "
    "refuses a healthy one without --force",
    "[recovery][cli]") {
  test::TempDir dir;
  const auto file = dir / "cache.json";
  const std::string uri = "file://" + file.string();
  Populate(uri);

  Run healthy = Cli({"--cache", uri, "recover"});
  INFO(healthy.output);
  CHECK(healthy.exit_code == 2);
  CHECK(std::filesystem::exists(file));

  std::string bytes = test::ReadBytes(file);
  bytes.resize(bytes.size() - 10);
  test::WriteBytes(file, bytes);
  Run recovered = Cli({"--cache", uri, "recover"});
  INFO(recovered.output);
  REQUIRE(recovered.exit_code == 0);
  CHECK(recovered.output.find("CANARY") == std::string::npos);
  const std::string marker = "quarantined to: ";
  const std::size_t at = recovered.output.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string moved = recovered.output.substr(
      at + marker.size(), recovered.output.find('\n', at) - at - marker.size());
  CHECK(test::ReadBytes(moved) == bytes);
  CHECK_FALSE(std::filesystem::exists(file));

  Run after = Cli({"--cache", uri, "verify"});
  CHECK(after.exit_code == 0);
  Run forced = Cli({"--cache", uri, "recover", "--force"});
  CHECK(forced.exit_code == 3);  // Nothing stored: nothing to recover.
}

TEST_CASE(
    "tokencache verify and recover handle a journal: a flipped frame byte "
    "exits 4, recover sets it aside and the journal then starts empty",
    "[recovery][cli][journal]") {
  test::TempDir dir;
  const auto file = dir / "cache.journal";
  const std::string uri = "file://" + file.string() + "?format=journal";
  Populate(uri);
  Run healthy = Cli({"--cache", uri, "verify"});
  INFO(healthy.output);
  CHECK(healthy.exit_code == 0);
  CHECK(healthy.output.find("state: OK") != std::string::npos);

  std::string bytes = test::ReadBytes(file);
  REQUIRE(bytes.size() > 200);
  bytes[170] = static_cast<char>(bytes[170] ^ 0x01);
  test::WriteBytes(file, bytes);
  Run corrupt = Cli({"--cache", uri, "verify"});
  INFO(corrupt.output);
  CHECK(corrupt.exit_code == 4);
  CHECK(corrupt.output.find("CORRUPTED") != std::string::npos);
  CHECK(corrupt.output.find("CANARY") == std::string::npos);
  CHECK(test::ReadBytes(file) == bytes);

  Run recovered = Cli({"--cache", uri, "recover"});
  INFO(recovered.output);
  REQUIRE(recovered.exit_code == 0);
  const std::string marker = "quarantined to: ";
  const std::size_t at = recovered.output.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string moved = recovered.output.substr(
      at + marker.size(), recovered.output.find('\n', at) - at - marker.size());
  CHECK(test::ReadBytes(moved) == bytes);
  CHECK_FALSE(std::filesystem::exists(file));

  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> empty = (*cache)->Export();
  REQUIRE_OK(empty);
  CHECK(empty->accounts.empty());
  Run after = Cli({"--cache", uri, "verify"});
  CHECK(after.exit_code == 0);
}

}  // namespace
}  // namespace tokencache
