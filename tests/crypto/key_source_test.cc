// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Key sources: the key file (modes, symlinks, loose permissions, length,
// concurrent creation by real processes), the environment sources and the
// `?key=` parser.

#include "tokencache/key_source.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/crypto/test_stores.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

mode_t ModeOf(const fs::path& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::shared_ptr<const Cipher> CipherFrom(const KeySource& source) {
  Result<std::shared_ptr<const Cipher>> cipher = source.GetCipher();
  REQUIRE_OK(cipher);
  return *cipher;
}

std::unique_ptr<KeySource> FileSource(const fs::path& path,
                                      bool create = true) {
  KeyFileOptions options;
  options.create_if_missing = create;
  Result<std::unique_ptr<KeySource>> source =
      NewKeyFileKeySource(path.string(), options);
  REQUIRE_OK(source);
  return std::move(*source);
}

// Seals with one cipher and opens with the other.
bool SameKey(const Cipher& a, const Cipher& b) {
  Result<std::string> sealed = a.Seal("probe", BlobContext("c"));
  REQUIRE_OK(sealed);
  return b.Open(*sealed, BlobContext("c")).ok();
}

void WriteFile(const fs::path& path, const std::string& bytes, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Restores the process umask when the test ends.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST_CASE(
    "A key file is created 0600 in 0700 directories under any umask "
    "and reused afterwards",
    "[crypto][keysource][S1]") {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0277}}) {
    test::TempDir dir;
    ScopedUmask scoped(mask);
    const fs::path key_path = dir / "a" / "b" / "cache.key";
    auto source = FileSource(key_path);
    auto first = CipherFrom(*source);
    CHECK(ModeOf(key_path) == 0600);
    CHECK(fs::file_size(key_path) == 32);
    CHECK(ModeOf(dir / "a") == 0700);
    CHECK(ModeOf(dir / "a" / "b") == 0700);
    // Only the key file is left behind: no temp files.
    CHECK(test::FilesUnder(dir.path()).size() == 1);
    const std::string bytes = test::ReadAll(key_path);
    auto again = CipherFrom(*FileSource(key_path));
    CHECK(SameKey(*first, *again));
    CHECK(test::ReadAll(key_path) == bytes);
  }
}

TEST_CASE(
    "S4: a symlink at the key file path is refused and its target "
    "left alone",
    "[crypto][keysource][S4]") {
  test::TempDir dir;
  const fs::path target = dir / "target.key";
  std::string key(32, 'k');
  WriteFile(target, key, 0600);
  const fs::path link = dir / "cache.key";
  fs::create_symlink(target, link);
  Result<std::shared_ptr<const Cipher>> cipher = FileSource(link)->GetCipher();
  CHECK(cipher.status().code() == Code::kPermissionDenied);
  CHECK(cipher.status().message().find("symbolic link") != std::string::npos);
  CHECK(test::ReadAll(target) == key);
  CHECK(ModeOf(target) == 0600);

  // A dangling symlink is refused too and nothing is created through it.
  const fs::path dangling = dir / "dangling.key";
  fs::create_symlink(dir / "nowhere.key", dangling);
  CHECK(FileSource(dangling)->GetCipher().status().code() ==
        Code::kPermissionDenied);
  CHECK_FALSE(fs::exists(dir / "nowhere.key"));
  CHECK(test::FilesUnder(dir.path()).size() == 1);  // target.key only
}

TEST_CASE(
    "A key file readable by group or others is refused with a clear "
    "message",
    "[crypto][keysource][S1]") {
  test::TempDir dir;
  const fs::path key_path = dir / "cache.key";
  for (mode_t mode :
       {mode_t{0640}, mode_t{0604}, mode_t{0660}, mode_t{0644}, mode_t{0601}}) {
    WriteFile(key_path, std::string(32, 'k'), mode);
    Result<std::shared_ptr<const Cipher>> cipher =
        FileSource(key_path)->GetCipher();
    CHECK(cipher.status().code() == Code::kPermissionDenied);
    CHECK(cipher.status().message().find("chmod 600") != std::string::npos);
    CHECK(ModeOf(key_path) == mode);  // reported, not silently fixed
  }
  WriteFile(key_path, std::string(32, 'k'), 0400);
  CHECK_OK(FileSource(key_path)->GetCipher());
}

TEST_CASE("A key file of the wrong length is kCorrupted and kept",
          "[crypto][keysource]") {
  test::TempDir dir;
  const fs::path key_path = dir / "cache.key";
  for (std::size_t size : {0u, 31u, 33u, 64u}) {
    WriteFile(key_path, std::string(size, 'k'), 0600);
    CHECK(FileSource(key_path)->GetCipher().status().code() ==
          Code::kCorrupted);
    CHECK(fs::file_size(key_path) == size);
  }
}

TEST_CASE(
    "Key file edge cases: missing without creation, not a regular "
    "file, insecure directory, relative path",
    "[crypto][keysource]") {
  test::TempDir dir;
  CHECK(FileSource(dir / "missing.key", false)->GetCipher().status().code() ==
        Code::kNotFound);
  CHECK_FALSE(fs::exists(dir / "missing.key"));

  REQUIRE(::mkfifo((dir / "fifo.key").c_str(), 0600) == 0);
  CHECK(FileSource(dir / "fifo.key")->GetCipher().status().code() ==
        Code::kPermissionDenied);
  fs::create_directory(dir / "dir.key");
  CHECK_FALSE(FileSource(dir / "dir.key")->GetCipher().ok());

  fs::create_directory(dir / "open");
  REQUIRE(::chmod((dir / "open").c_str(), 0777) == 0);
  Result<std::shared_ptr<const Cipher>> insecure =
      FileSource(dir / "open" / "cache.key")->GetCipher();
  CHECK(insecure.status().code() == Code::kPermissionDenied);
  CHECK_FALSE(fs::exists(dir / "open" / "cache.key"));

  CHECK(NewKeyFileKeySource("relative/cache.key").status().code() ==
        Code::kInvalidArgument);
  CHECK(NewKeyFileKeySource("").status().code() == Code::kInvalidArgument);
  CHECK(NewKeyFileKeySource("/tmp/dir/").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE(
    "Processes creating one key file at once all end up with the "
    "same key",
    "[crypto][keysource][multiprocess]") {
  constexpr int kRounds = 10;
  constexpr int kProcesses = 6;
  for (int round = 0; round < kRounds; ++round) {
    test::TempDir dir;
    const fs::path key_path = dir / "keys" / "cache.key";
    int go[2];
    REQUIRE(::pipe(go) == 0);
    std::vector<std::pair<pid_t, int>> children;
    for (int i = 0; i < kProcesses; ++i) {
      int out[2];
      REQUIRE(::pipe(out) == 0);
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(go[1]);
        ::close(out[0]);
        char byte;
        // Wait until the parent releases everyone at once.
        (void)!::read(go[0], &byte, 1);
        KeyFileOptions options;
        Result<std::unique_ptr<KeySource>> source =
            NewKeyFileKeySource(key_path.string(), options);
        if (!source.ok()) ::_exit(2);
        Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
        if (!cipher.ok()) ::_exit(3);
        Result<std::string> sealed = (*cipher)->Seal("x", BlobContext("c"));
        if (!sealed.ok()) ::_exit(4);
        const ssize_t n = ::write(out[1], sealed->data(), sealed->size());
        ::_exit(n == static_cast<ssize_t>(sealed->size()) ? 0 : 5);
      }
      ::close(out[1]);
      children.emplace_back(pid, out[0]);
    }
    ::close(go[0]);
    ::close(go[1]);  // EOF releases all children together

    std::vector<std::string> envelopes;
    for (auto& [pid, fd] : children) {
      std::string sealed;
      char buffer[256];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        sealed.append(buffer, static_cast<std::size_t>(n));
      }
      ::close(fd);
      int wstatus = 0;
      REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
      CHECK(WIFEXITED(wstatus));
      CHECK(WEXITSTATUS(wstatus) == 0);
      envelopes.push_back(std::move(sealed));
    }
    auto parent = CipherFrom(*FileSource(key_path, false));
    std::set<std::string> key_ids;
    int opened = 0;
    for (const std::string& sealed : envelopes) {
      Result<EnvelopeInfo> info = InspectEnvelope(sealed);
      if (!info.ok()) continue;
      key_ids.insert(std::string(info->key_id.begin(), info->key_id.end()));
      if (parent->Open(sealed, BlobContext("c")).ok()) ++opened;
    }
    CHECK(key_ids.size() == 1);
    CHECK(opened == kProcesses);
    CHECK(ModeOf(key_path) == 0600);
    CHECK(test::FilesUnder(dir.path()).size() == 1);  // no temp leftovers
  }
}

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    REQUIRE(::setenv(name, value.c_str(), 1) == 0);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_CASE(
    "key-env decodes a base64 32-byte key and rejects anything else "
    "without quoting it",
    "[crypto][keysource]") {
  REQUIRE(sodium_init() >= 0);
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw,
                    sodium_base64_VARIANT_ORIGINAL);
  Result<std::unique_ptr<KeySource>> source =
      KeySourceFromSpec("key-env:TC_TEST_KEY");
  REQUIRE_OK(source);
  {
    ScopedEnv env("TC_TEST_KEY", std::string(b64) + "\n");
    auto from_env = CipherFrom(**source);
    Result<std::unique_ptr<Cipher>> direct = NewKeyCipher(SecretBytes(
        std::string_view(reinterpret_cast<const char*>(raw), sizeof raw)));
    REQUIRE_OK(direct);
    CHECK(SameKey(*from_env, **direct));
  }
  const std::string canary = "CANARYc2VjcmV0LWtleS1tYXRlcmlhbA";
  for (const std::string& bad :
       {canary, std::string(b64).substr(0, 40), std::string(b64) + "QUJD",
        std::string(b64) + "!!", std::string("not base64 at all")}) {
    ScopedEnv env("TC_TEST_KEY", bad);
    Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
    CHECK(cipher.status().code() == Code::kInvalidArgument);
    CHECK(cipher.status().message().find(bad.substr(0, 12)) ==
          std::string::npos);
  }
  ::unsetenv("TC_TEST_KEY");
  CHECK((*source)->GetCipher().status().code() == Code::kNotFound);
}

TEST_CASE("passphrase-env reads the variable once and keeps one cipher",
          "[crypto][keysource][kdf]") {
  ::unsetenv("TC_TEST_PASS");
  Result<std::unique_ptr<KeySource>> source =
      KeySourceFromSpec("passphrase-env:TC_TEST_PASS");
  REQUIRE_OK(source);
  CHECK((*source)->GetCipher().status().code() == Code::kNotFound);
  ScopedEnv env("TC_TEST_PASS", "a passphrase from the environment");
  auto first = CipherFrom(**source);
  auto second = CipherFrom(**source);
  CHECK(first.get() == second.get());
  Result<std::unique_ptr<KeySource>> direct =
      NewPassphraseKeySource(SecretBytes("a passphrase from the environment"));
  REQUIRE_OK(direct);
  CHECK(SameKey(*first, *CipherFrom(**direct)));
}

TEST_CASE("The key= option parser accepts the documented forms only",
          "[crypto][keysource][uri]") {
  test::TempDir dir;
  const std::string key_path = (dir / "k.key").string();
  for (const std::string& spec : {"file:" + key_path, "file://" + key_path}) {
    Result<std::unique_ptr<KeySource>> source = KeySourceFromSpec(spec);
    REQUIRE_OK(source);
    CHECK((*source)->Name() == "file");
    CHECK_OK((*source)->GetCipher());
  }
  CHECK(fs::exists(key_path));

  Result<std::unique_ptr<KeySource>> pass =
      KeySourceFromSpec("passphrase-env:MY_VAR_1");
  REQUIRE_OK(pass);
  CHECK((*pass)->Name() == "passphrase-env");
  Result<std::unique_ptr<KeySource>> key = KeySourceFromSpec("key-env:K");
  REQUIRE_OK(key);
  CHECK((*key)->Name() == "key-env");

  CHECK(KeySourceFromSpec("keychain").status().code() == Code::kNotSupported);
  CHECK(KeySourceFromSpec("keychain:svc/acct").status().code() ==
        Code::kNotSupported);

  const std::string canary = "CANARY-hunter2-passphrase-9d7";
  for (const std::string& spec :
       {std::string(""), std::string("file:"), std::string("file:rel/path"),
        std::string("file://host/path"), std::string("passphrase-env:"),
        std::string("passphrase-env:1BAD"), std::string("key-env:A-B"),
        std::string("passphrase:") + canary, canary, std::string("FILE:/x")}) {
    Result<std::unique_ptr<KeySource>> source = KeySourceFromSpec(spec);
    CHECK(source.status().code() == Code::kInvalidArgument);
    CHECK(source.status().message().find("hunter2") == std::string::npos);
  }
}

}  // namespace
}  // namespace tokencache
