// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/lmdb/lmdb_env.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

namespace tokencache {
namespace internal {
namespace {

std::atomic<StatfsFunction> statfs_hook{nullptr};

int CallStatfs(const char* path, struct statfs* buffer) {
  StatfsFunction hook = statfs_hook.load();
  return hook != nullptr ? hook(path, buffer) : ::statfs(path, buffer);
}

bool IsNetworkFs(std::uint64_t f_type) {
  switch (static_cast<std::uint32_t>(f_type)) {
    case 0x6969u:      // NFS
    case 0x517Bu:      // SMB
    case 0xFF534D42u:  // CIFS
    case 0xFE534D42u:  // SMB2
    case 0x65735546u:  // FUSE
      return true;
    default:
      return false;
  }
}

Status OsError(const std::string& what, const std::string& path, int err) {
  Code code = Code::kIoError;
  if (err == EACCES || err == EPERM) code = Code::kPermissionDenied;
  if (err == ENOENT) code = Code::kNotFound;
  if (err == ENOSPC || err == EDQUOT) code = Code::kResourceExhausted;
  return Status(code,
                what + " " + path + ": " + std::generic_category().message(err),
                err);
}

// statfs of `path` or of its nearest existing ancestor, so that nothing
// needs to be created before the check.
Status RefuseNetworkFs(const std::filesystem::path& path) {
  std::filesystem::path probe = path;
  while (true) {
    struct statfs fs;
    if (CallStatfs(probe.c_str(), &fs) == 0) {
      if (IsNetworkFs(static_cast<std::uint64_t>(fs.f_type))) {
        return Status(Code::kNotSupported,
                      "lmdb: " + path.string() +
                          " is on a network file system; LMDB's lock file "
                          "does not work across machines");
      }
      return Status();
    }
    const int err = errno;
    if (err != ENOENT || probe == probe.parent_path()) {
      return OsError("lmdb: cannot statfs", probe.string(), err);
    }
    probe = probe.parent_path();
  }
}

// Creates `dir` and missing parents with mode 0700.
Status MakeDirectories(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return OsError("lmdb: cannot create directory", partial.string(),
                     errno);
    }
  }
  return Status();
}

struct Registry {
  std::mutex mu;
  std::condition_variable closed;
  struct Entry {
    std::weak_ptr<LmdbEnv> env;
    pid_t pid = 0;
  };
  std::map<std::pair<dev_t, ino_t>, Entry> envs;
};

Registry& TheRegistry() {
  // Never destroyed: envs may be released during static destruction.
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

Status LmdbError(int rc, const std::string& what, const std::string& path) {
  const std::string message =
      "lmdb: " + what + " (" + path + "): " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case ENOSPC:
    case EDQUOT:
      return Status(Code::kResourceExhausted, message, rc > 0 ? rc : 0);
    case MDB_READERS_FULL:
      return Status(Code::kUnavailable, message);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_PANIC:
      return Status(Code::kCorrupted, message);
    case MDB_VERSION_MISMATCH:
      return Status(Code::kNotSupported, message);
    case EACCES:
    case EPERM:
      return Status(Code::kPermissionDenied, message, rc);
    default:
      return Status(Code::kIoError, message, rc > 0 ? rc : 0);
  }
}

std::size_t LmdbEnvCount() {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> guard(registry.mu);
  std::size_t count = 0;
  for (const auto& [key, entry] : registry.envs) {
    if (entry.pid == getpid() && !entry.env.expired()) ++count;
  }
  return count;
}

void SetStatfsForTesting(StatfsFunction fn) { statfs_hook.store(fn); }

Result<std::shared_ptr<LmdbEnv>> LmdbEnv::Acquire(
    const std::filesystem::path& dir, const LmdbOptions& options) {
  if (!dir.is_absolute()) {
    return InvalidArgumentError("lmdb: the directory must be absolute");
  }
  const std::filesystem::path path = dir.lexically_normal();
  if (Status s = RefuseNetworkFs(path); !s.ok()) return s;

  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return OsError("lmdb: cannot stat", path, errno);
    if (!options.create_directory) {
      return OsError("lmdb: no directory", path.string(), ENOENT);
    }
    if (Status s = MakeDirectories(path); !s.ok()) return s;
    if (lstat(path.c_str(), &st) != 0) {
      return OsError("lmdb: cannot stat", path, errno);
    }
  }
  if (S_ISLNK(st.st_mode)) {
    return Status(Code::kPermissionDenied,
                  "lmdb: symlink refused at " + path.string());
  }
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgumentError("lmdb: " + path.string() +
                                " is not a directory");
  }

  Registry& registry = TheRegistry();
  std::unique_lock<std::mutex> lock(registry.mu);
  const auto key = std::make_pair(st.st_dev, st.st_ino);
  while (true) {
    auto it = registry.envs.find(key);
    if (it == registry.envs.end()) break;
    if (it->second.pid != getpid()) {
      // Inherited across fork(): that env belongs to the parent and must
      // be neither used nor closed here.
      registry.envs.erase(it);
      break;
    }
    if (std::shared_ptr<LmdbEnv> env = it->second.env.lock()) return env;
    // The last user is closing it; opening a second env on the same files
    // meanwhile would let that close drop our fcntl locks.
    registry.closed.wait(lock);
  }

  // Opened as a plain object first: on failure it is deleted without
  // touching the registry, whose mutex this thread holds.
  std::unique_ptr<LmdbEnv> env(new LmdbEnv());
  env->path_ = path.string();
  env->pid_ = getpid();
  env->dev_ = st.st_dev;
  env->ino_ = st.st_ino;
  env->max_map_size_ = options.max_map_size;
  env->dir_fd_ = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC |
                                        O_NOFOLLOW);
  if (env->dir_fd_ < 0) return OsError("lmdb: cannot open", path, errno);

  int rc = mdb_env_create(&env->env_);
  if (rc != 0) return LmdbError(rc, "creating the environment", path);
  rc = mdb_env_set_mapsize(env->env_, options.initial_map_size);
  if (rc == 0) rc = mdb_env_set_maxreaders(env->env_, options.max_readers);
  if (rc != 0) return LmdbError(rc, "configuring the environment", path);
  // MDB_NOTLS: read transactions own their reader slots, so they may end on
  // another thread than the one that began them. No durability-weakening
  // flag is ever set (reliability plan B1).
  rc = mdb_env_open(env->env_, path.c_str(), MDB_NOTLS, 0600);
  if (rc != 0) return LmdbError(rc, "opening the environment", path);
  // Slots of readers that died inside a read transaction pin old pages and
  // make the file grow; free them now.
  int dead = 0;
  rc = mdb_reader_check(env->env_, &dead);
  if (rc != 0) return LmdbError(rc, "checking for stale readers", path);
  env->stale_readers_cleared_ = dead;
  // Beside LMDB's own files; LMDB ignores files it does not know.
  env->writer_queue_ = WriterQueue::Open(path / "writers.queue");
  env->max_key_size_ = static_cast<std::size_t>(
      mdb_env_get_maxkeysize(env->env_));
  MDB_stat stat;
  rc = mdb_env_stat(env->env_, &stat);
  if (rc != 0) return LmdbError(rc, "reading the page size", path);
  // LMDB's own limit (me_nodemax in mdb.c): a leaf node (8-byte header,
  // key, value) larger than half a page, less headers, moves its value to
  // overflow pages.
  constexpr std::size_t kPageHeader = 16;
  constexpr std::size_t kNodeIndex = 2;
  env->node_max_ =
      (((static_cast<std::size_t>(stat.ms_psize) - kPageHeader) / 2) &
       ~std::size_t{1}) -
      kNodeIndex;

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env->env_, nullptr, MDB_RDONLY, &txn);
  if (rc == MDB_MAP_RESIZED) {
    rc = mdb_env_set_mapsize(env->env_, 0);
    if (rc == 0) rc = mdb_txn_begin(env->env_, nullptr, MDB_RDONLY, &txn);
  }
  if (rc != 0) return LmdbError(rc, "beginning a transaction", path);
  rc = mdb_dbi_open(txn, nullptr, 0, &env->dbi_);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "opening the database", path);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return LmdbError(rc, "opening the database", path);

  std::shared_ptr<LmdbEnv> shared(env.release(), [](LmdbEnv* doomed) {
    Registry& r = TheRegistry();
    {
      std::lock_guard<std::mutex> guard(r.mu);
      auto it = r.envs.find(std::make_pair(doomed->dev_, doomed->ino_));
      if (it != r.envs.end() && it->second.pid == doomed->pid_) {
        r.envs.erase(it);
      }
      delete doomed;
    }
    r.closed.notify_all();
  });
  registry.envs[key] = Registry::Entry{shared, shared->pid_};
  return shared;
}

LmdbEnv::~LmdbEnv() {
  // An env inherited across fork() is the parent's: closing it here would
  // free the parent's reader slots (LMDB clears slots by the opener's pid).
  if (env_ != nullptr && pid_ == getpid()) mdb_env_close(env_);
  if (dir_fd_ >= 0) close(dir_fd_);
}

Status LmdbEnv::Grow() {
  MDB_envinfo info;
  int rc = mdb_env_info(env_, &info);
  if (rc != 0) return LmdbError(rc, "reading the map size", path_);
  const std::size_t current = info.me_mapsize;
  if (current >= max_map_size_) {
    return Status(Code::kResourceExhausted,
                  "lmdb: the map of " + path_ + " reached its maximum of " +
                      std::to_string(max_map_size_) + " bytes");
  }
  std::size_t next = current > max_map_size_ / 2 ? max_map_size_ : current * 2;
  rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return LmdbError(rc, "growing the map", path_);
  return Status();
}

Status LmdbEnv::AdoptMapSize() {
  int rc = mdb_env_set_mapsize(env_, 0);
  if (rc != 0) return LmdbError(rc, "adopting the map size", path_);
  return Status();
}

}  // namespace internal
}  // namespace tokencache
