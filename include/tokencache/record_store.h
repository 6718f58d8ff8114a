// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A RecordStore keeps a cache as one value per entity under an ordered key
// space (LMDB, Redis, memory): a silent lookup reads only the records under
// its partition's key prefix, whatever the cache size. Cache::Open(store,
// codec) runs the MSAL rules against it; the record keys are the core's
// (partition first, then kind, client, realm, target), the values are what a
// RecordCodec makes of an entity (the binary format by default,
// serializers/binary_record_codec.h).
//
// Work happens in transactions. A read transaction is a consistent snapshot;
// a write transaction buffers or applies Put/Erase and publishes them all at
// once in Commit(), which is a compare-and-swap on the store's generation: a
// counter that changes with every commit that changed something and never
// repeats while the store exists.
//
// The public methods are non-virtual: they check arguments, call the Do*
// hooks, turn any exception a hook throws into kInternal, and prefix error
// messages with Name(). Hooks need do none of that. Run the conformance kit
// (tokencache/test/backend_conformance.h) against a new implementation.
//
// Thread safety: a RecordStore may be used from several threads at once; one
// RecordTransaction belongs to one thread at a time. Exclusion between
// processes is the store's job (LMDB's writer mutex, Redis WATCH).

#ifndef TOKENCACHE_RECORD_STORE_H_
#define TOKENCACHE_RECORD_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tokencache/export.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {

// Called by RecordTransaction::Scan for each record, in key order. `value`
// is valid only during the call and may hold token text: do not copy it into
// plain strings. Return false to stop the scan.
using RecordScanFn =
    std::function<bool(std::string_view key, std::string_view value)>;
// Decides from a record's key alone whether a scan wants the record.
using RecordKeyFilter = std::function<bool(std::string_view key)>;

// One transaction on a RecordStore; destroying it without Commit() discards
// its writes (and ends the snapshot of a read transaction).
class TOKENCACHE_EXPORT RecordTransaction {
 public:
  RecordTransaction(const RecordTransaction&) = delete;
  RecordTransaction& operator=(const RecordTransaction&) = delete;
  virtual ~RecordTransaction();

  // Whether Put, Erase and Commit are allowed.
  bool writable() const { return writable_; }

  // The generation this transaction reads: what the store held when it
  // began.
  std::uint64_t generation() const { return generation_; }

  // Returns the value stored under `key`, or nullopt. A write transaction
  // sees its own earlier Put and Erase. Returns the store's errors
  // (kIoError, kUnavailable, kCorrupted, kWrongKey for an encrypted store
  // opened with another key).
  Result<std::optional<SecretBytes>> Get(std::string_view key);

  // Calls `fn` for every record whose key starts with `prefix` (all records
  // for an empty prefix), in ascending byte order of the keys, until `fn`
  // returns false. Returns the store's errors; records already passed to
  // `fn` stay passed.
  Status Scan(std::string_view prefix, const RecordScanFn& fn);

  // Like Scan(), but calls `fn` only for the records whose key `accept`
  // returns true for (every record when `accept` is empty). A store may
  // skip reading, decrypting or copying the values of the others (the
  // encrypted store does): lookups use it to open only the records whose
  // key can match. So a record that is corrupt, undecryptable or of a newer
  // format is reported by the scans that take it, not by those that skip
  // it. Errors as Scan().
  Status ScanMatching(std::string_view prefix, const RecordKeyFilter& accept,
                      const RecordScanFn& fn);

  // Stores `value` under `key`, replacing what was there. Visible to others
  // only after Commit(). Returns kInvalidArgument on a read transaction or
  // for an empty key, kResourceExhausted when the store is full.
  Status Put(std::string_view key, std::string_view value);

  // Removes `key`; removing a missing key is OK. kInvalidArgument on a read
  // transaction.
  Status Erase(std::string_view key);

  // Publishes every Put and Erase atomically, if the store's generation is
  // still `expected` (by default generation()); returns the new generation
  // (unchanged when nothing was written). Returns kConflict, writing
  // nothing, when another writer committed in between;
  // kResourceExhausted when the store is full (nothing written); other
  // store errors likewise leave the store as it was. A transaction can be
  // committed once; kInvalidArgument on a read transaction or after that.
  Result<std::uint64_t> Commit(
      std::optional<std::uint64_t> expected = std::nullopt);

 protected:
  RecordTransaction(bool writable, std::uint64_t generation)
      : writable_(writable), generation_(generation) {}

  // Name of the store, for error messages.
  virtual std::string_view StoreName() const = 0;
  virtual Result<std::optional<SecretBytes>> DoGet(std::string_view key) = 0;
  virtual Status DoScan(std::string_view prefix, const RecordScanFn& fn) = 0;
  virtual Status DoPut(std::string_view key, std::string_view value) = 0;
  virtual Status DoErase(std::string_view key) = 0;
  // `expected` is already resolved (never "default").
  virtual Result<std::uint64_t> DoCommit(std::uint64_t expected) = 0;
  // The default runs DoScan() and skips what `accept` rejects (an empty
  // `accept` takes everything); override it when rejecting a record by its
  // key saves work. A decorator that wraps another store should forward it
  // too, or the inner store's savings are lost.
  virtual Status DoScanMatching(std::string_view prefix,
                                const RecordKeyFilter& accept,
                                const RecordScanFn& fn);

 private:
  bool writable_;
  bool committed_ = false;
  std::uint64_t generation_;
};

class TOKENCACHE_EXPORT RecordStore {
 public:
  RecordStore() = default;
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;
  virtual ~RecordStore();

  // Short, stable name of the implementation, such as "lmdb". It appears in
  // error messages.
  virtual std::string_view Name() const = 0;

  // Starts a read transaction: a snapshot that later commits do not change.
  // Returns kUnavailable or kIoError when the store cannot be reached.
  Result<std::unique_ptr<RecordTransaction>> BeginRead();

  // Starts a write transaction. A store may make writers wait for each other
  // here (LMDB does, across processes) or let them race and refuse all but
  // one in Commit (kConflict).
  Result<std::unique_ptr<RecordTransaction>> BeginWrite();

 protected:
  virtual Result<std::unique_ptr<RecordTransaction>> DoBegin(
      bool writable) = 0;
};

// Any one cache entity; the same type as AnyEntity in
// serializers/binary.h.
using RecordEntity =
    std::variant<Account, AccessToken, RefreshToken, IdToken, AppMetadata>;

// Turns one entity into a record store value and back. Fields the codec
// does not model must survive in the entity's `extra`.
//
// Thread safety: const and safe to call from several threads at once.
class TOKENCACHE_EXPORT RecordCodec {
 public:
  RecordCodec() = default;
  RecordCodec(const RecordCodec&) = delete;
  RecordCodec& operator=(const RecordCodec&) = delete;
  virtual ~RecordCodec();

  virtual std::string_view Name() const = 0;

  // Encodes `entity`; the value holds token text, hence SecretBytes.
  Result<SecretBytes> Encode(const RecordEntity& entity) const;

  // Decodes a value. kCorrupted for malformed bytes, kNotSupported for a
  // newer format; the message never quotes the value.
  Result<RecordEntity> Decode(std::string_view value) const;

 protected:
  virtual Result<SecretBytes> DoEncode(const RecordEntity& entity) const = 0;
  virtual Result<RecordEntity> DoDecode(std::string_view value) const = 0;
};

}  // namespace tokencache

#endif  // TOKENCACHE_RECORD_STORE_H_
