// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// NewFileLock for Windows: LockFileEx on a HANDLE of its own per
// acquisition. Windows byte-range locks belong to the handle, like Linux
// OFD locks, so threads and processes are excluded alike and the lock of a
// process that dies is released by the system. The byte layout is the one
// in lock_layout.h. MSAL lockfile interop is not offered here (MSAL .NET
// on Windows locks with FileShare.None, which this lock cannot honour
// without holding the file open exclusively).
//
// This file is compiled only for Windows (mingw-w64 or MSVC).

#include <windows.h>

#include <memory>
#include <string>
#include <utility>

#include "lock/lock_layout.h"
#include "lock/lock_table.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace {

using internal::Backoff;
using internal::FileId;
using internal::kWholeLength;
using internal::kWholeSlot;
using internal::LockTableEntry;

Status WinError(const std::string& what, const std::string& path,
                DWORD err) {
  Code code = err == ERROR_ACCESS_DENIED ? Code::kPermissionDenied
                                         : Code::kIoError;
  return Status(code, what + " '" + path + "' (Win32 error " +
                          std::to_string(err) + ")",
                static_cast<int>(err));
}

Result<HANDLE> OpenLockFile(const std::filesystem::path& path) {
  DWORD attributes = GetFileAttributesW(path.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES &&
      (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    return Status(Code::kPermissionDenied,
                  "symlink refused at lock path '" + path.string() + "'");
  }
  HANDLE handle = CreateFileW(
      path.c_str(), GENERIC_READ | GENERIC_WRITE,
      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
      OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
      nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return WinError("cannot open lock file", path.string(), GetLastError());
  }
  return handle;
}

OVERLAPPED RangeOf(std::uint64_t slot, DWORD* low, DWORD* high) {
  OVERLAPPED overlapped = {};
  std::uint64_t start = slot == kWholeSlot ? 0 : internal::KeyByteOffset(slot);
  std::uint64_t length = slot == kWholeSlot ? kWholeLength : 1;
  overlapped.Offset = static_cast<DWORD>(start & 0xffffffffu);
  overlapped.OffsetHigh = static_cast<DWORD>(start >> 32);
  *low = static_cast<DWORD>(length & 0xffffffffu);
  *high = static_cast<DWORD>(length >> 32);
  return overlapped;
}

class SharedState {
 public:
  SharedState(std::filesystem::path path,
              std::shared_ptr<LockTableEntry> table)
      : path_(std::move(path)), table_(std::move(table)) {}
  const std::filesystem::path& path() const { return path_; }
  LockTableEntry& table() { return *table_; }

 private:
  const std::filesystem::path path_;
  const std::shared_ptr<LockTableEntry> table_;
};

class WindowsLockHandle : public LockHandle {
 public:
  WindowsLockHandle(std::shared_ptr<SharedState> state, HANDLE file,
                    std::uint64_t slot, LockMode mode)
      : state_(std::move(state)), file_(file), slot_(slot), mode_(mode) {}
  ~WindowsLockHandle() override {
    DWORD low = 0;
    DWORD high = 0;
    OVERLAPPED range = RangeOf(slot_, &low, &high);
    UnlockFileEx(file_, 0, low, high, &range);
    CloseHandle(file_);  // Releases the lock even if UnlockFileEx failed.
    state_->table().Release(slot_, mode_);
  }

 private:
  std::shared_ptr<SharedState> state_;
  HANDLE file_;
  std::uint64_t slot_;
  LockMode mode_;
};

class WindowsFileLock : public Lock {
 public:
  explicit WindowsFileLock(std::shared_ptr<SharedState> state)
      : state_(std::move(state)) {}

  std::string_view Name() const override { return "file"; }

  Result<std::unique_ptr<LockHandle>> Acquire(LockMode mode,
                                              Deadline deadline) override {
    return AcquireSlot(kWholeSlot, mode, deadline);
  }

  Result<std::unique_ptr<LockHandle>> AcquireKey(std::string_view key,
                                                 LockMode mode,
                                                 Deadline deadline) override {
    return AcquireSlot(internal::KeySlot(key), mode, deadline);
  }

 private:
  Result<std::unique_ptr<LockHandle>> AcquireSlot(std::uint64_t slot,
                                                  LockMode mode,
                                                  Deadline deadline) {
    const std::string path = state_->path().string();
    if (!state_->table().Acquire(slot, mode, deadline)) {
      return Status(Code::kLockTimeout,
                    "timed out waiting for lock '" + path + "'");
    }
    Result<HANDLE> file = OpenLockFile(state_->path());
    if (!file.ok()) {
      state_->table().Release(slot, mode);
      return file.status();
    }
    DWORD flags = LOCKFILE_FAIL_IMMEDIATELY;
    if (mode == LockMode::kExclusive) flags |= LOCKFILE_EXCLUSIVE_LOCK;
    Backoff backoff(deadline);
    while (true) {
      DWORD low = 0;
      DWORD high = 0;
      OVERLAPPED range = RangeOf(slot, &low, &high);
      if (LockFileEx(*file, flags, 0, low, high, &range)) break;
      DWORD err = GetLastError();
      if (err != ERROR_LOCK_VIOLATION && err != ERROR_IO_PENDING) {
        CloseHandle(*file);
        state_->table().Release(slot, mode);
        return WinError("cannot lock", path, err);
      }
      if (!backoff.Wait()) {
        CloseHandle(*file);
        state_->table().Release(slot, mode);
        return Status(Code::kLockTimeout,
                      "timed out waiting for lock '" + path + "'");
      }
    }
    return std::unique_ptr<LockHandle>(
        new WindowsLockHandle(state_, *file, slot, mode));
  }

  std::shared_ptr<SharedState> state_;
};

}  // namespace

Result<std::unique_ptr<Lock>> NewFileLock(
    const std::filesystem::path& lock_path, const FileLockOptions& options) {
  if (lock_path.empty() || lock_path.filename().empty()) {
    return InvalidArgumentError("lock path must name a file");
  }
  if (options.msal_lockfile_interop) {
    return Status(Code::kNotSupported,
                  "MSAL lockfile interop is not supported on Windows");
  }
  if (options.create_parent_directories && lock_path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(lock_path.parent_path(), ec);
    if (ec) {
      return Status(Code::kIoError, "cannot create directory '" +
                                        lock_path.parent_path().string() +
                                        "'");
    }
  }
  Result<HANDLE> file = OpenLockFile(lock_path);
  if (!file.ok()) return file.status();
  BY_HANDLE_FILE_INFORMATION info;
  BOOL got = GetFileInformationByHandle(*file, &info);
  DWORD err = GetLastError();
  CloseHandle(*file);
  if (!got) return WinError("cannot stat lock file", lock_path.string(), err);
  FileId id{info.dwVolumeSerialNumber,
            (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) |
                info.nFileIndexLow};
  auto state =
      std::make_shared<SharedState>(lock_path, internal::LockTableFor(id));
  return std::unique_ptr<Lock>(new WindowsFileLock(std::move(state)));
}

}  // namespace tokencache
