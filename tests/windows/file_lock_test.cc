// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// lock/file_lock_windows.cc (LockFileEx) under wine: exclusion across
// processes, release when the holder exits, and an exact counter with
// 4 processes x 2 threads. Also the child modes of win_child.h.

#include "tests/windows/win_child.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/keychain/dpapi_key.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace test {

std::string KeyDigest(const std::string& bytes) {
  unsigned long long hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", hash);
  return text;
}

namespace {

std::wstring Widen(const std::string& s) {
  return std::filesystem::path(s).wstring();
}

std::wstring QuoteArg(const std::wstring& arg) {
  return L"\"" + arg + L"\"";  // Our paths hold no quotes.
}

Deadline In(std::chrono::milliseconds ms) {
  return std::chrono::steady_clock::now() + ms;
}

int Hold(const std::string& lock_path, const std::string& ready,
         const std::string& release) {
  Result<std::unique_ptr<Lock>> lock = NewFileLock(lock_path);
  if (!lock.ok()) return 2;
  Result<std::unique_ptr<LockHandle>> held =
      (*lock)->Acquire(LockMode::kExclusive, In(std::chrono::seconds(30)));
  if (!held.ok()) return 3;
  std::ofstream(ready) << "held";
  for (int i = 0; i < 3000 && !std::filesystem::exists(release); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

long long ReadCounter(const std::string& path) {
  std::ifstream in(path);
  long long value = 0;
  in >> value;
  return value;
}

int Counter(const std::string& lock_path, const std::string& file, int n) {
  Result<std::unique_ptr<Lock>> lock = NewFileLock(lock_path);
  if (!lock.ok()) return 2;
  bool ok = true;
  auto work = [&] {
    for (int i = 0; i < n; ++i) {
      Result<std::unique_ptr<LockHandle>> held = (*lock)->Acquire(
          LockMode::kExclusive, In(std::chrono::seconds(60)));
      if (!held.ok()) {
        ok = false;
        return;
      }
      const long long value = ReadCounter(file);
      std::ofstream(file, std::ios::trunc) << value + 1;
    }
  };
  std::thread a(work);
  std::thread b(work);
  a.join();
  b.join();
  return ok ? 0 : 3;
}

}  // namespace

int RunChildMode(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[2] : "";
  if (mode == "hold" && argc == 6) return Hold(argv[3], argv[4], argv[5]);
  if (mode == "counter" && argc == 6) {
    return Counter(argv[3], argv[4], std::atoi(argv[5]));
  }
  if (mode == "dpapi-key" && argc == 5) {
    Result<SecretBytes> key = internal::LoadOrCreateDpapiKey(argv[3]);
    if (!key.ok()) return 3;
    std::ofstream(argv[4], std::ios::binary)
        << KeyDigest(std::string(key->view()));
    return 0;
  }
  std::fprintf(stderr, "windows_test: bad --child arguments\n");
  return 2;
}

WinChild::WinChild(const std::vector<std::string>& args) {
  wchar_t self[MAX_PATH];
  const DWORD length = GetModuleFileNameW(nullptr, self, MAX_PATH);
  if (length == 0 || length == MAX_PATH) return;
  std::wstring command = QuoteArg(self) + L" --child";
  for (const std::string& arg : args) command += L" " + QuoteArg(Widen(arg));
  STARTUPINFOW startup = {};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION info = {};
  if (!CreateProcessW(self, command.data(), nullptr, nullptr, FALSE, 0,
                      nullptr, nullptr, &startup, &info)) {
    return;
  }
  CloseHandle(info.hThread);
  process_ = info.hProcess;
}

WinChild::~WinChild() {
  if (process_ == nullptr) return;
  if (WaitForSingleObject(process_, 0) != WAIT_OBJECT_0) {
    TerminateProcess(process_, 99);
    WaitForSingleObject(process_, 5000);
  }
  CloseHandle(process_);
}

int WinChild::Wait(DWORD ms) {
  if (process_ == nullptr) return -1;
  if (WaitForSingleObject(process_, ms) != WAIT_OBJECT_0) return -1;
  DWORD code = 0;
  GetExitCodeProcess(process_, &code);
  return static_cast<int>(code);
}

namespace {

class WinTempDir {
 public:
  WinTempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tokencache-winlock-" + std::to_string(GetCurrentProcessId()) +
             "-" + std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  ~WinTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

TEST_CASE("An exclusive LockFileEx lock held by another process excludes "
          "us until it is released",
          "[windows][lock][multiprocess]") {
  WinTempDir dir;
  const std::string lock_path = (dir / "cache.lock").string();
  const std::string ready = (dir / "ready").string();
  const std::string release = (dir / "release").string();
  WinChild holder({"hold", lock_path, ready, release});
  REQUIRE(holder.started());
  for (int i = 0; i < 3000 && !std::filesystem::exists(ready); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(std::filesystem::exists(ready));

  Result<std::unique_ptr<Lock>> lock = NewFileLock(lock_path);
  REQUIRE(lock.ok());
  Result<std::unique_ptr<LockHandle>> busy = (*lock)->Acquire(
      LockMode::kExclusive, In(std::chrono::milliseconds(200)));
  CHECK(busy.status().code() == Code::kLockTimeout);
  Result<std::unique_ptr<LockHandle>> busy_shared = (*lock)->Acquire(
      LockMode::kShared, In(std::chrono::milliseconds(0)));
  CHECK(busy_shared.status().code() == Code::kLockTimeout);
  Result<std::unique_ptr<LockHandle>> busy_key = (*lock)->AcquireKey(
      "account-a", LockMode::kExclusive, In(std::chrono::milliseconds(0)));
  CHECK(busy_key.status().code() == Code::kLockTimeout);

  std::ofstream(release) << "go";
  CHECK(holder.Wait() == 0);
  Result<std::unique_ptr<LockHandle>> mine = (*lock)->Acquire(
      LockMode::kExclusive, In(std::chrono::seconds(10)));
  CHECK(mine.ok());
}

TEST_CASE("Keyed LockFileEx locks of different keys do not exclude each "
          "other, and a whole lock excludes them",
          "[windows][lock]") {
  WinTempDir dir;
  Result<std::unique_ptr<Lock>> lock = NewFileLock(dir / "keys.lock");
  REQUIRE(lock.ok());
  Result<std::unique_ptr<LockHandle>> a = (*lock)->AcquireKey(
      "account-a", LockMode::kExclusive, In(std::chrono::milliseconds(0)));
  REQUIRE(a.ok());
  Result<std::unique_ptr<LockHandle>> b = (*lock)->AcquireKey(
      "account-b", LockMode::kExclusive, In(std::chrono::milliseconds(0)));
  CHECK(b.ok());
  Result<std::unique_ptr<LockHandle>> whole = (*lock)->Acquire(
      LockMode::kExclusive, In(std::chrono::milliseconds(50)));
  CHECK(whole.status().code() == Code::kLockTimeout);
}

TEST_CASE("4 processes x 2 threads x 100 locked increments end exactly at "
          "800",
          "[windows][lock][multiprocess]") {
  WinTempDir dir;
  const std::string lock_path = (dir / "counter.lock").string();
  const std::string file = (dir / "counter.txt").string();
  std::ofstream(file) << 0;
  std::vector<std::unique_ptr<WinChild>> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(std::make_unique<WinChild>(
        std::vector<std::string>{"counter", lock_path, file, "100"}));
    REQUIRE(children.back()->started());
  }
  for (auto& child : children) CHECK(child->Wait(120000) == 0);
  CHECK(ReadCounter(file) == 800);
}

}  // namespace
}  // namespace test
}  // namespace tokencache
