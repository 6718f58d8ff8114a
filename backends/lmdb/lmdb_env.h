// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// LmdbEnv: the one MDB_env a process keeps per LMDB directory. LMDB must
// not be opened twice in one process (closing one env drops the fcntl
// locks of the other, platform-notes.md §5) nor used across fork(), so
// every store on a directory shares the env found in a registry keyed by
// the directory's (st_dev, st_ino) and by the pid that opened it. The
// registry holds a descriptor of the directory, so its inode cannot be
// reused by another directory while the env lives.
//
// Map size: transactions hold `gate` shared; growing the map (after
// MDB_MAP_FULL) or adopting a size another process set (MDB_MAP_RESIZED)
// takes it exclusively, because mdb_env_set_mapsize needs every
// transaction of this process to be finished.
//
// Thread-safe.

#ifndef TOKENCACHE_BACKENDS_LMDB_LMDB_ENV_H_
#define TOKENCACHE_BACKENDS_LMDB_LMDB_ENV_H_

#include <lmdb.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>

#include "lock/writer_queue.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

class LmdbEnv {
 public:
  // Returns the env of directory `dir` (absolute), opening it when this
  // process has none. See LmdbRecordStore::Open for the errors.
  static Result<std::shared_ptr<LmdbEnv>> Acquire(
      const std::filesystem::path& dir, const LmdbOptions& options);

  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;
  ~LmdbEnv();

  MDB_env* env() const { return env_; }
  MDB_dbi dbi() const { return dbi_; }
  const std::string& path() const { return path_; }
  // Longest key stored as is; longer keys are shortened (lmdb_record_store).
  std::size_t max_key_size() const { return max_key_size_; }
  // The largest leaf node LMDB keeps on a page: a record whose 8-byte node
  // header, key and value exceed it has its value on overflow pages.
  std::size_t node_max() const { return node_max_; }
  // Stale reader slots mdb_reader_check() freed when this env was opened.
  int stale_readers_cleared() const { return stale_readers_cleared_; }

  // Orders the write transactions of every process on this env
  // (lock/writer_queue.h); nullptr when its file could not be set up.
  WriterQueue* writer_queue() const { return writer_queue_.get(); }

  // Shared by every transaction; exclusive while the map size changes.
  std::shared_mutex& gate() { return gate_; }

  // Doubles the map (at least past `at_least` bytes), up to the configured
  // maximum. REQUIRES: no transaction of this process is open on the env
  // (the caller holds `gate` exclusively). kResourceExhausted at the cap.
  Status Grow();
  // Adopts the map size another process stored. REQUIRES: as Grow().
  Status AdoptMapSize();

 private:
  LmdbEnv() = default;

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  std::string path_;
  std::size_t max_key_size_ = 0;
  std::size_t node_max_ = 0;
  std::size_t max_map_size_ = 0;
  int stale_readers_cleared_ = 0;
  int dir_fd_ = -1;
  pid_t pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::shared_mutex gate_;
  std::unique_ptr<WriterQueue> writer_queue_;
};

// Maps an LMDB or errno code to a Status naming `what` and the env path.
Status LmdbError(int rc, const std::string& what, const std::string& path);

// How many envs this process holds open now (B3: two stores on one path
// share one).
std::size_t LmdbEnvCount();

// Test hook: replaces statfs() in the network file system check; nullptr
// restores the real one.
using StatfsFunction = int (*)(const char* path, struct statfs* buffer);
void SetStatfsForTesting(StatfsFunction fn);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_LMDB_LMDB_ENV_H_
