// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The journal file store: a RecordStore kept in one file that grows by
// appending each commit's changes, for many processes writing one cache
// durably (URI file:///path?format=journal). A whole-file store must
// rewrite and fsync the entire cache on every commit, which bounds it to a
// few hundred commits a second on a typical disk whatever the code does
// (docs/performance.md, "disk floor"); a journal commit writes and
// fdatasyncs only its own changes.
//
// The file is tokencache's own format (docs/journal-format.md): MSAL apps
// cannot read it. Use the default MSAL JSON file store to share a cache
// with them.
//
// Layout: a header (magic, version, a lineage id, the sequence number the
// file starts after, a checksummed commit block holding the end of the
// last committed frame and its sequence number), then frames. A frame is
// one commit: its sequence number, the records it puts and erases, and a
// BLAKE2b checksum over the lineage id and the frame. Every process keeps
// the records in memory and catches up by reading only the frames past
// what it has read.
//
// Writers: a write transaction holds the exclusive lock `<path>.lock`
// (tokencache/file_lock.h; FIFO across processes) from BeginWrite to its
// end; Commit appends one frame, fdatasyncs it, then publishes it in the
// commit block. Readers never wait for another process: they read only up
// to the commit block, which is published after the frame is durable. A
// writer that dies mid-commit leaves a frame past the commit block: the
// next writer, or a reader that can take the writer lock at once (no
// writer is running), keeps it when it is whole and valid (makes it
// durable and publishes it) and cuts off a torn one.
//
// Compaction: when the frames hold more than twice the live records and
// more than `compact_bytes`, the committing writer writes the live records
// as one frame to a temp file (0600, O_EXCL|O_NOFOLLOW), fsyncs it, renames
// it over the journal and fsyncs the directory. Readers notice the new
// inode and load it; generations do not change.
//
// Generations are the sequence numbers: equal in every process for the
// same state (a process that sees the file removed moves its own number on
// by one). A journal created anew (after the file was removed) starts
// its numbers at the current time in microseconds, so numbers of an older
// file are not reused.
//
// Corruption: a checksum mismatch, a truncation or a bad header inside the
// committed part gives kCorrupted when the file is loaded or caught up
// with, and the file is left untouched (recovery is explicit: `tokencache
// recover`). Errors name positions, never record contents.
//
// Network file systems: OpenCache refuses them for journals
// (refuse_network_fs), since lock-free readers rely on the local page
// cache showing a frame before the commit block that publishes it.
//
// Thread safety: the store and its transactions follow RecordStore's
// rules. Within one process, a read waits for a commit in progress (one
// mutex guards the in-memory records). A read transaction is a snapshot: a commit while it is open (in
// this process) copies the record map instead of changing it in place.

#ifndef TOKENCACHE_BACKENDS_FILE_JOURNAL_H_
#define TOKENCACHE_BACKENDS_FILE_JOURNAL_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "tokencache/export.h"
#include "tokencache/record_store.h"
#include "tokencache/status.h"

namespace tokencache {

struct JournalStoreOptions {
  // As FileStoreOptions: refuse a network file system (kNotSupported), and
  // create missing parent directories 0700.
  // Defaults: false, true.
  bool refuse_network_fs = false;
  bool create_parent_directories = true;
  // How long BeginWrite waits for the writer lock before kLockTimeout.
  // OpenCache sets it from CacheOptions::lock_timeout. Default: 30 s.
  std::chrono::milliseconds lock_timeout = std::chrono::seconds(30);
  // Compact when the frames pass this many bytes and twice the size of the
  // live records. Default: 4 MiB.
  std::uint64_t compact_bytes = std::uint64_t{4} << 20;
};

class TOKENCACHE_EXPORT FileJournalStore {
 public:
  FileJournalStore() = delete;

  // Opens the journal at `path` (created by the first commit; an absent
  // file reads as an empty store at generation 0) and loads it.
  //
  // Errors: kInvalidArgument for a path without a file name;
  // kPermissionDenied for a symbolic link at the journal, its lock file or
  // its directory, or when the OS denies access; kNotSupported on a network
  // file system with refuse_network_fs, or for a journal of a newer format
  // version; kCorrupted for a file that is not a journal or fails its
  // checksums; kNotFound, kIoError as FileBlobStore::Open.
  //
  // The store's transactions return: BeginRead/BeginWrite kCorrupted when
  // a commit by another process cannot be read back (the file is left as
  // it is), kLockTimeout (BeginWrite); Commit kResourceExhausted on a full
  // disk, quota or file-size limit, or for a commit over 1 GiB, kConflict
  // when the file was removed or replaced behind the writer lock, kIoError
  // otherwise, in each case with the journal as it was before the commit.
  static Result<std::unique_ptr<RecordStore>> Open(
      const std::filesystem::path& path,
      const JournalStoreOptions& options = JournalStoreOptions());
};

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_JOURNAL_H_
