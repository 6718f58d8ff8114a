// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// An SDK author's own backend, outside the tokencache tree: a directory of
// cache files (directory_blob_store.h), checked with the conformance kit
// and then registered under its own URI scheme. Exits non-zero when any
// check fails, so it doubles as a test (tests/package runs it against an
// installed tokencache).

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "directory_blob_store.h"
#include "tokencache/cache.h"
#include "tokencache/file_lock.h"
#include "tokencache/registry.h"
#include "tokencache/test/backend_conformance.h"

namespace {

namespace fs = std::filesystem;

int failures = 0;

void Expect(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}

// A fresh private directory, removed again when the program ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (fs::temp_directory_path() / "tc-custom-backend-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "cannot create a temporary directory\n";
      std::exit(2);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void RunConformance(const fs::path& dir) {
  tokencache::test::ConformanceOptions options;
  options.multiprocess = true;  // Files are shared between processes.
  tokencache::test::ConformanceReport report =
      tokencache::test::RunBlobStoreConformance(
          [&]() -> tokencache::Result<std::unique_ptr<tokencache::BlobStore>> {
            auto store = example::DirectoryBlobStore::Open(dir, "conformance");
            if (!store.ok()) return store.status();
            return std::unique_ptr<tokencache::BlobStore>(std::move(*store));
          },
          [&] { return tokencache::NewFileLock(dir / "conformance.lock"); },
          options);
  std::cout << report.ToString();
  Expect(report.ok(), "the conformance kit passes");
  Expect(report.checks_run > 0, "the conformance kit ran checks");
  Expect(report.skipped.empty(), "no conformance check was skipped");
}

void RunThroughRegistry(const fs::path& dir) {
  tokencache::BackendRegistry registry;
  Expect(example::RegisterDirectoryBackend(registry).ok(),
         "the dirstore scheme registers");
  Expect(example::RegisterDirectoryBackend(registry).code() ==
             tokencache::Code::kConflict,
         "registering the scheme twice is refused");

  const fs::path caches = dir / "caches";
  const std::string uri = "dirstore://" + caches.string() + "?name=app";
  tokencache::CacheSnapshot snapshot;
  tokencache::RefreshToken rt;
  rt.home_account_id = "uid.utid";
  rt.environment = "login.microsoftonline.com";
  rt.client_id = "client-1";
  rt.secret = tokencache::SecretBytes("canary-refresh-token");
  snapshot.refresh_tokens.push_back(rt);
  {
    auto cache = registry.Open(uri);
    Expect(cache.ok(), "a dirstore URI opens");
    if (!cache.ok()) return;
    Expect((*cache)->Import(snapshot).ok(), "a write through the cache works");
  }
  auto reopened = registry.Open(uri);
  Expect(reopened.ok(), "the dirstore cache opens again");
  if (reopened.ok()) {
    auto all = (*reopened)->Export();
    Expect(all.ok() && all->refresh_tokens.size() == 1 &&
               all->refresh_tokens[0].secret.Equals("canary-refresh-token"),
           "what was written is read back by a new Cache");
  }
  struct stat st {};
  Expect(::stat((caches / "app.cache").c_str(), &st) == 0 &&
             (st.st_mode & 0777) == 0600,
         "the cache file is 0600");
  Expect(::stat(caches.c_str(), &st) == 0 && (st.st_mode & 0777) == 0700,
         "the directory is 0700");
  Expect(registry.Open("dirstore://" + caches.string() + "?name=../x")
                 .status()
                 .code() == tokencache::Code::kInvalidArgument,
         "a cache name with a path in it is refused");
  Expect(registry.Open("dirstore://" + caches.string() + "?nmae=app")
                 .status()
                 .code() == tokencache::Code::kInvalidArgument,
         "an unknown option is refused");
}

}  // namespace

int main() {
  TempDir dir;
  // The kit forks: run it first, while this process has one thread.
  RunConformance(dir.path() / "conformance");
  RunThroughRegistry(dir.path());
  if (failures != 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "custom backend: all checks passed\n";
  return 0;
}
