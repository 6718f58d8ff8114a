// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A BlobStore keeps a whole cache as one byte string: a file, one keychain
// item, or a store an SDK author writes. It is the easy way to add a backend:
// implement DoRead and DoWrite (and, if it is cheap, DoPeekVersion), and the
// core turns the store into a full cache by holding its records as one
// snapshot, serialized by a snapshot serializer (MSAL JSON by default).
//
// The public methods are non-virtual: they call the Do* hooks, turn any
// exception a hook throws into kInternal, and prefix error messages with
// Name(). Hooks need do neither.
//
// Thread safety: implementations must allow concurrent calls from several
// threads. Exclusion between processes is the lock's job (lock.h); a
// BlobStore only promises that a write is atomic and that a write with a
// stale `expected` version is refused.

#ifndef TOKENCACHE_BLOB_STORE_H_
#define TOKENCACHE_BLOB_STORE_H_

#include <optional>
#include <string>
#include <string_view>

#include "tokencache/export.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {

// Identifies one stored state, so that a reader can tell cheaply whether
// anything changed and a writer can detect that someone else wrote in
// between. Each store picks the representation (a generation counter, an
// inode plus a content digest, a Redis counter); the core only compares
// versions for equality. An empty version means "nothing stored yet".
struct BlobVersion {
  std::string opaque;

  friend bool operator==(const BlobVersion& a, const BlobVersion& b) {
    return a.opaque == b.opaque;
  }
  friend bool operator!=(const BlobVersion& a, const BlobVersion& b) {
    return !(a == b);
  }
};

struct Blob {
  SecretBytes bytes;    // The stored bytes (serialized, maybe encrypted).
  BlobVersion version;  // The version these bytes belong to.
};

class TOKENCACHE_EXPORT BlobStore {
 public:
  BlobStore() = default;
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;
  virtual ~BlobStore();

  // Short, stable name of the implementation, such as "file". It appears in
  // error messages.
  virtual std::string_view Name() const = 0;

  // Reads what was last stored. Returns std::nullopt when nothing has been
  // stored yet; that is not an error. Returns kCorrupted when the stored
  // bytes cannot be read back whole, kUnavailable when the store cannot be
  // reached now.
  Result<std::optional<Blob>> Read();

  // Returns the version of what is stored now without reading the bytes, or
  // an empty version when nothing is stored. The default reads the blob.
  Result<BlobVersion> PeekVersion();

  // Replaces the stored bytes with `bytes`, atomically: readers see the old
  // or the new contents, never a mix, and a failure leaves the old in place.
  // When `expected` is set and the stored version differs, writes nothing
  // and returns kConflict. On success, returns the new version.
  //
  // REQUIRES: the caller holds the cache's write lock.
  Result<BlobVersion> Write(std::string_view bytes,
                            const std::optional<BlobVersion>& expected);

 protected:
  virtual Result<std::optional<Blob>> DoRead() = 0;
  virtual Result<BlobVersion> DoPeekVersion();
  virtual Result<BlobVersion> DoWrite(
      std::string_view bytes, const std::optional<BlobVersion>& expected) = 0;
};

}  // namespace tokencache

#endif  // TOKENCACHE_BLOB_STORE_H_
