// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// LmdbRecordStore: records in the unnamed database of an LMDB environment.
//
// Stored value = one tag byte, then:
//   0x00  the value (the LMDB key is the record key)
//   0x01  u32 little-endian length of the record key, the record key, the
//         value (the LMDB key is a shortened form of a record key longer
//         than LMDB's key limit: its first bytes and a BLAKE2b digest)
//   0x02  u32 little-endian length n, n bytes that are one of the two forms
//         above, then zero bytes up to LmdbEnv::node_max() in all
//
// Why 0x02: a token is ~1.2 KB, and LMDB keeps values that small inline in
// the leaf pages beside their keys, so a partition's ~17 keys would spread
// over ~6 pages of a large map, and a key-filtered lookup that reads one of
// them would still walk them all. A value padded to node_max() goes to an
// overflow page of its own (one 4 KiB page, as 1.2 KB inline took a third
// of one), leaving the leaves to the keys: a partition's keys share a page,
// the branch pages above them are ~30 times fewer and stay in the CPU
// cache, and DoScanMatching rejects keys without touching their values.
// Values below kPadFrom stay inline (they pack densely anyway), values
// LMDB already moves out of line need no padding, and nothing is padded
// where pages are larger than 8 KiB (64 KiB pages on some arm64 and ppc64
// systems would cost a 64 KiB page per token). Readers take all three
// forms, so environments written before 0x02 read as they are.

#include <sodium.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "backends/lmdb/lmdb_env.h"
#include "tokencache/backends/lmdb.h"

namespace tokencache {
namespace {

using internal::LmdbEnv;
using internal::LmdbError;
using internal::WriterQueue;

constexpr char kDirectTag = 0x00;
constexpr char kLongTag = 0x01;
constexpr char kPaddedTag = 0x02;
constexpr std::size_t kDigestSize = 32;
// Stored values at least this large are padded onto an overflow page...
constexpr std::size_t kPadFrom = 512;
// ...when that takes no more than this (LmdbEnv::node_max()).
constexpr std::size_t kMaxPadded = 4096;
// LMDB's node header (mdb.c NODESIZE).
constexpr std::size_t kNodeHeader = 8;

std::uint32_t ReadU32(std::string_view bytes) {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
         << (8 * i);
  }
  return n;
}

void AppendU32(SecretBytes* out, std::size_t value) {
  char bytes[4];
  const auto n = static_cast<std::uint32_t>(value);
  for (std::size_t i = 0; i < 4; ++i) {
    bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  out->Append(std::string_view(bytes, 4));
}

std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

MDB_val Val(std::string_view s) {
  MDB_val v;
  v.mv_size = s.size();
  v.mv_data = const_cast<char*>(s.data());
  return v;
}

// Begins an LMDB transaction holding the env's gate shared, adopting a map
// size another process set when LMDB asks for it.
Status OpenTxn(LmdbEnv& env, bool writable,
               std::shared_lock<std::shared_mutex>* gate, MDB_txn** txn) {
  for (int attempt = 0;; ++attempt) {
    std::shared_lock<std::shared_mutex> shared(env.gate());
    const int rc = mdb_txn_begin(env.env(), nullptr,
                                 writable ? 0u : MDB_RDONLY, txn);
    if (rc == 0) {
      *gate = std::move(shared);
      return Status();
    }
    shared.unlock();
    if (rc != MDB_MAP_RESIZED || attempt >= 3) {
      return LmdbError(rc, "beginning a transaction", env.path());
    }
    std::unique_lock<std::shared_mutex> exclusive(env.gate());
    if (Status s = env.AdoptMapSize(); !s.ok()) return s;
  }
}

class LmdbTransaction final : public RecordTransaction {
 public:
  static Result<std::unique_ptr<RecordTransaction>> Begin(
      std::shared_ptr<LmdbEnv> env, bool writable) {
    // Wait for this writer's turn before LMDB's (unfair) writer mutex.
    WriterQueue::Turn turn;
    if (writable && env->writer_queue() != nullptr) {
      // No deadline: LMDB's own wait has none either.
      if (std::optional<WriterQueue::Turn> t = env->writer_queue()->Enter()) {
        turn = std::move(*t);
      }
    }
    std::shared_lock<std::shared_mutex> gate;
    MDB_txn* txn = nullptr;
    if (Status s = OpenTxn(*env, writable, &gate, &txn); !s.ok()) return s;
    // A write transaction reads the state its id follows.
    const std::uint64_t id = mdb_txn_id(txn);
    const std::uint64_t generation = writable ? id - 1 : id;
    return std::unique_ptr<RecordTransaction>(
        new LmdbTransaction(std::move(env), std::move(gate), txn, writable,
                            generation, std::move(turn)));
  }

  ~LmdbTransaction() override {
    Abort();
    turn_.Leave();
  }

 protected:
  std::string_view StoreName() const override { return "lmdb"; }

  Result<std::optional<SecretBytes>> DoGet(std::string_view key) override {
    const std::string stored = StoredKey(key);
    MDB_val k = Val(stored);
    MDB_val v;
    const int rc = mdb_get(txn_, env_->dbi(), &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<SecretBytes>();
    if (rc != 0) return LmdbError(rc, "reading a record", env_->path());
    std::string_view full_key;
    std::string_view value;
    if (Status s = Unpack(View(k), View(v), &full_key, &value); !s.ok()) {
      return s;
    }
    if (full_key != key) return std::optional<SecretBytes>();
    return std::optional<SecretBytes>(SecretBytes(value));
  }

  Status DoScan(std::string_view prefix, const RecordScanFn& fn) override {
    return Walk(prefix, RecordKeyFilter(), fn);
  }

  // Rejects a record by its key before touching its value, which for a
  // token sits on an overflow page of its own (see the top of this file).
  Status DoScanMatching(std::string_view prefix, const RecordKeyFilter& accept,
                        const RecordScanFn& fn) override {
    return Walk(prefix, accept, fn);
  }

  Status DoPut(std::string_view key, std::string_view value) override {
    ops_.emplace_back(std::string(key),
                      std::optional<SecretBytes>(SecretBytes(value)));
    return ApplyLast();
  }

  Status DoErase(std::string_view key) override {
    ops_.emplace_back(std::string(key), std::nullopt);
    return ApplyLast();
  }

  Result<std::uint64_t> DoCommit(std::uint64_t expected) override {
    Result<std::uint64_t> result = CommitOrAbort(expected);
    turn_.Leave();
    return result;
  }

 private:
  Result<std::uint64_t> CommitOrAbort(std::uint64_t expected) {
    if (expected != generation()) {
      Abort();
      return Status(Code::kConflict,
                    "the store moved past the expected generation");
    }
    if (!dirty_) {
      Abort();
      return generation();
    }
    while (true) {
      const std::uint64_t id = mdb_txn_id(txn_);
      const int rc = mdb_txn_commit(txn_);
      // Commit frees the transaction whether or not it succeeded.
      txn_ = nullptr;
      if (rc == 0) {
        Abort();
        return id;
      }
      if (rc != MDB_MAP_FULL) {
        Abort();
        return LmdbError(rc, "committing", env_->path());
      }
      if (Status s = GrowAndReplay(); !s.ok()) return s;
    }
  }

  LmdbTransaction(std::shared_ptr<LmdbEnv> env,
                  std::shared_lock<std::shared_mutex> gate, MDB_txn* txn,
                  bool writable, std::uint64_t generation,
                  WriterQueue::Turn turn)
      : RecordTransaction(writable, generation),
        env_(std::move(env)),
        gate_(std::move(gate)),
        txn_(txn),
        turn_(std::move(turn)) {}

  // Scan() with `accept` (everything when empty).
  Status Walk(std::string_view prefix, const RecordKeyFilter& accept,
              const RecordScanFn& fn) {
    const std::string_view seek = prefix.substr(0, DirectLimit());
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn_, env_->dbi(), &raw);
    if (rc != 0) return LmdbError(rc, "opening a cursor", env_->path());
    // Closed on every exit, also when `accept` or `fn` throws (the public
    // Scan turns that into kInternal).
    const std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> owner(
        raw, mdb_cursor_close);
    MDB_cursor* cursor = owner.get();
    MDB_val k = Val(seek);
    MDB_val v;
    rc = mdb_cursor_get(cursor, &k, &v,
                        seek.empty() ? MDB_FIRST : MDB_SET_RANGE);
    Status status;
    while (rc == 0) {
      const std::string_view stored = View(k);
      if (stored.substr(0, seek.size()) != seek) break;
      // A key this short is stored as it is (StoredKey): it can be
      // judged before its value is read.
      const bool direct = stored.size() <= DirectLimit();
      if (!direct || (stored.substr(0, prefix.size()) == prefix &&
                      (!accept || accept(stored)))) {
        std::string_view full_key;
        std::string_view value;
        status = Unpack(stored, View(v), &full_key, &value);
        if (!status.ok()) break;
        if (full_key.substr(0, prefix.size()) == prefix &&
            (direct || !accept || accept(full_key)) && !fn(full_key, value)) {
          break;
        }
      }
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    if (!status.ok()) return status;
    if (rc != 0 && rc != MDB_NOTFOUND) {
      return LmdbError(rc, "scanning records", env_->path());
    }
    return Status();
  }

  // Keys up to this length are stored as they are.
  std::size_t DirectLimit() const {
    return env_->max_key_size() - 1 - kDigestSize;
  }

  std::string StoredKey(std::string_view key) const {
    if (key.size() <= DirectLimit()) return std::string(key);
    std::string stored(key.substr(0, DirectLimit()));
    stored.push_back('\xff');
    unsigned char digest[kDigestSize];
    crypto_generichash(digest, sizeof(digest),
                       reinterpret_cast<const unsigned char*>(key.data()),
                       key.size(), nullptr, 0);
    stored.append(reinterpret_cast<const char*>(digest), sizeof(digest));
    return stored;
  }

  Status Unpack(std::string_view stored_key, std::string_view stored,
                std::string_view* key, std::string_view* value) const {
    if (stored.size() >= 5 && stored[0] == kPaddedTag) {
      const std::uint32_t length = ReadU32(stored.substr(1));
      if (stored.size() - 5 >= length && length > 0 &&
          stored[5] != kPaddedTag) {
        return Unpack(stored_key, stored.substr(5, length), key, value);
      }
    }
    if (!stored.empty() && stored[0] == kDirectTag) {
      *key = stored_key;
      *value = stored.substr(1);
      return Status();
    }
    if (stored.size() >= 5 && stored[0] == kLongTag) {
      const std::uint32_t length = ReadU32(stored.substr(1));
      if (stored.size() - 5 >= length) {
        *key = stored.substr(5, length);
        *value = stored.substr(std::size_t{5} + length);
        return Status();
      }
    }
    return CorruptedError("lmdb: a stored value of " + env_->path() +
                          " has no valid record header");
  }

  int Apply(const std::string& key, const std::optional<SecretBytes>& value) {
    const std::string stored = StoredKey(key);
    MDB_val k = Val(stored);
    if (!value.has_value()) {
      const int rc = mdb_del(txn_, env_->dbi(), &k, nullptr);
      if (rc == 0) dirty_ = true;
      return rc == MDB_NOTFOUND ? 0 : rc;
    }
    const bool direct = stored.size() == key.size();
    const std::size_t inner_size =
        1 + (direct ? 0 : 4 + key.size()) + value->size();
    // Padded only when LMDB would keep it inline (see the top of this file).
    const bool pad =
        inner_size >= kPadFrom && env_->node_max() <= kMaxPadded &&
        kNodeHeader + stored.size() + inner_size <= env_->node_max();
    SecretBytes packed;
    if (pad) {
      packed.Append(std::string_view(&kPaddedTag, 1));
      AppendU32(&packed, inner_size);
    }
    packed.Append(std::string_view(direct ? &kDirectTag : &kLongTag, 1));
    if (!direct) {
      AppendU32(&packed, key.size());
      packed.Append(key);
    }
    packed.Append(value->view());
    // Resize() zero-fills: the value now exceeds what LMDB keeps inline.
    if (pad) packed.Resize(env_->node_max());
    MDB_val v = Val(packed.view());
    const int rc = mdb_put(txn_, env_->dbi(), &k, &v, 0);
    if (rc == 0) dirty_ = true;
    return rc;
  }

  Status ApplyLast() {
    const int rc = Apply(ops_.back().first, ops_.back().second);
    if (rc == 0) return Status();
    if (rc != MDB_MAP_FULL) {
      return LmdbError(rc, "writing a record", env_->path());
    }
    return GrowAndReplay();
  }

  // MDB_MAP_FULL: abort, grow the map while no transaction of this process
  // is open, begin again and replay every write. If another writer got in
  // meanwhile, the replay would not be what the caller computed: kConflict.
  Status GrowAndReplay() {
    while (true) {
      Abort();
      {
        std::unique_lock<std::shared_mutex> exclusive(env_->gate());
        if (Status s = env_->Grow(); !s.ok()) return s;
      }
      if (Status s = OpenTxn(*env_, true, &gate_, &txn_); !s.ok()) return s;
      if (mdb_txn_id(txn_) - 1 != generation()) {
        Abort();
        return Status(Code::kConflict,
                      "another writer committed while the map grew");
      }
      dirty_ = false;
      int rc = 0;
      for (const auto& [key, value] : ops_) {
        rc = Apply(key, value);
        if (rc != 0) break;
      }
      if (rc == 0) return Status();
      if (rc != MDB_MAP_FULL) {
        Abort();
        return LmdbError(rc, "writing a record", env_->path());
      }
    }
  }

  void Abort() {
    if (txn_ != nullptr) {
      mdb_txn_abort(txn_);
      txn_ = nullptr;
    }
    if (gate_.owns_lock()) gate_.unlock();
  }

  std::shared_ptr<LmdbEnv> env_;
  std::shared_lock<std::shared_mutex> gate_;
  MDB_txn* txn_;
  // Writes so far, replayed after the map grows.
  std::vector<std::pair<std::string, std::optional<SecretBytes>>> ops_;
  bool dirty_ = false;
  // This writer's place in the env's queue, left when the transaction
  // ends.
  WriterQueue::Turn turn_;
};

class LmdbStore final : public RecordStore {
 public:
  explicit LmdbStore(std::shared_ptr<LmdbEnv> env) : env_(std::move(env)) {}
  std::string_view Name() const override { return "lmdb"; }

 protected:
  Result<std::unique_ptr<RecordTransaction>> DoBegin(bool writable) override {
    return LmdbTransaction::Begin(env_, writable);
  }

 private:
  std::shared_ptr<LmdbEnv> env_;
};

}  // namespace

Result<std::unique_ptr<RecordStore>> LmdbRecordStore::Open(
    const std::filesystem::path& dir, const LmdbOptions& options) {
  if (sodium_init() < 0) return InternalError("lmdb: libsodium did not start");
  Result<std::shared_ptr<LmdbEnv>> env = LmdbEnv::Acquire(dir, options);
  if (!env.ok()) return env.status();
  return std::unique_ptr<RecordStore>(new LmdbStore(std::move(*env)));
}

}  // namespace tokencache
