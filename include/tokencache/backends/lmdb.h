// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The LMDB record store: a cache as one record per entity in an LMDB
// environment (a directory holding data.mdb and lock.mdb), for services and
// big caches. A lookup reads only its partition's records from the memory
// map, whatever the cache size; writers are ordered across processes by
// LMDB's own writer mutex, and readers never wait (MVCC). URI:
// `lmdb:///abs/dir` with the file store's `?key=` options, which seal each
// value with the record key in the associated data.
//
// Safety: durable flags only (none of NOSYNC, NOMETASYNC, MAPASYNC,
// NOMEMINIT, NOLOCK): a commit that returned is on disk. One MDB_env per
// directory per process, shared by every store and Cache on it. Stale
// reader slots of dead processes are freed at open (mdb_reader_check). A
// full map grows and the write is replayed; a map grown by another process
// is adopted. Network file systems are refused: LMDB's lock file lives in
// shared memory and does not work across machines.
//
// Layout: a value of 512 bytes or more (a token) is padded past LMDB's
// inline limit so that it sits on its own overflow page (4 KiB each) and
// the leaf pages hold only keys: a lookup walks a partition's keys without
// touching the other tokens. Values stored inline by earlier versions
// still read; a store written by this version cannot be read by a
// tokencache from before that change (it reports kCorrupted). No padding
// where pages are larger than 8 KiB.
//
// Thread safety: stores may be shared by threads; each transaction belongs
// to one thread. A process must not use a store it inherited across fork().

#ifndef TOKENCACHE_BACKENDS_LMDB_H_
#define TOKENCACHE_BACKENDS_LMDB_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "tokencache/cipher.h"
#include "tokencache/export.h"
#include "tokencache/record_store.h"
#include "tokencache/status.h"

namespace tokencache {

struct LmdbOptions {
  // The map size a new environment starts with, in bytes. It is virtual
  // address space, not disk; a full map doubles. When the environment is
  // already open in this process, its current size is kept.
  // Default: 64 MiB.
  std::size_t initial_map_size = std::size_t{64} << 20;

  // Growth stops here; a write that does not fit returns
  // kResourceExhausted and the store keeps what it had.
  // Default: 64 GiB on 64-bit systems, 1 GiB otherwise.
  std::size_t max_map_size =
      sizeof(void*) >= 8 ? std::size_t{64} << 30 : std::size_t{1} << 30;

  // Read transactions open at once across all processes (reader slots).
  // Default: 256.
  unsigned max_readers = 256;

  // Create the directory (mode 0700) and missing parents when absent.
  // When false, a missing directory is kNotFound. Default: true.
  bool create_directory = true;
};

class TOKENCACHE_EXPORT LmdbRecordStore {
 public:
  LmdbRecordStore() = delete;

  // Opens the record store in directory `dir` (absolute), creating the
  // environment (data.mdb and lock.mdb, mode 0600) when missing, and
  // writers.queue (0600, 4 KiB), which serves the write transactions of
  // all processes first come, first served (LMDB's writer mutex alone
  // starves some writers); without it the store works, unordered.
  //
  // Errors: kInvalidArgument for a relative path; kNotSupported on a
  // network file system (NFS, SMB, CIFS, SMB2, FUSE), checked before
  // anything is created; kPermissionDenied when `dir` is a symbolic link
  // ("symlink refused") or access is denied; kNotFound when the directory
  // is missing and create_directory is false; kCorrupted when the files
  // are not an LMDB environment; kIoError for other OS failures.
  //
  // Transactions of the returned store: Commit returns kResourceExhausted
  // when the map cannot grow or the disk is full (nothing written), and
  // kConflict when `expected` is not the current generation (the
  // generation is LMDB's transaction id). BeginRead returns kUnavailable
  // when every reader slot is taken. Keys longer than 478 bytes are stored
  // under a shortened key (their first 478 bytes and a BLAKE2b digest), so
  // scans return such keys after their first 478 bytes' order, otherwise
  // unordered among themselves.
  static Result<std::unique_ptr<RecordStore>> Open(
      const std::filesystem::path& dir,
      const LmdbOptions& options = LmdbOptions());
};

// NewEncryptedRecordStore(), for per-record encryption of an LMDB store,
// is declared in tokencache/cipher.h.

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_LMDB_H_
