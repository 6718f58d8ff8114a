// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/cache.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "cache-core/cache_state.h"
#include "cache-core/record_key.h"

namespace tokencache {
namespace {

// A partial state (record stores) keeps what it decoded while the store's
// generation is unchanged; past this many records (and remembered loads)
// it starts afresh, so a service touching every partition does not end up
// holding the whole store twice (read and write states).
constexpr std::size_t kMaxCachedRecords = 20000;

internal::Entity ToEntity(RecordEntity entity) {
  return std::visit(
      [](auto&& e) -> internal::Entity { return std::move(e); },
      std::move(entity));
}

RecordEntity ToRecordEntity(const internal::Entity& entity) {
  return std::visit([](const auto& e) -> RecordEntity { return e; }, entity);
}

bool IsSectionKey(std::string_view key) {
  return key.substr(0, internal::kSectionKeyPrefix.size()) ==
         internal::kSectionKeyPrefix;
}

// Whether `entity` belongs under `key`. Access tokens, the records
// lookups read most, are checked in per-thread buffers (without
// allocating, unless they have extra key components to sort).
bool IsKeyOf(std::string_view key, const internal::Entity& entity) {
  if (const auto* token = std::get_if<AccessToken>(&entity)) {
    thread_local std::string built;
    thread_local std::vector<std::string> scopes;
    internal::BuildRecordKey(*token, &built, &scopes);
    return built == key;
  }
  return internal::RecordKeyOf(entity) == key;
}

// Loads records for a partial CacheState from one transaction of a record
// store, decoding them with the cache's codec.
class StoreSource final : public internal::RecordSource {
 public:
  StoreSource(RecordTransaction* txn, const RecordCodec* codec)
      : txn_(txn), codec_(codec) {}

  Status Load(std::string_view prefix, Filter filter, const KeyFilter& accept,
              std::vector<std::pair<std::string, internal::Entity>>* records,
              ExtraFields* sections) override {
    std::vector<std::pair<std::string, internal::Entity>> found;
    ExtraFields found_sections;
    Status inner;
    const RecordScanFn take = [&](std::string_view key,
                                  std::string_view value) {
      if (IsSectionKey(key)) {
        if (filter != Filter::kAll || accept) return true;
        std::optional<std::string> name = internal::SectionNameOf(key);
        if (!name.has_value()) {
          inner = CorruptedError("a stored unknown section has a bad name");
          return false;
        }
        found_sections.push_back(ExtraField{*name, std::string(value)});
        return true;
      }
      if (filter == Filter::kAccounts && internal::RecordKindOf(key) != "ac") {
        return true;
      }
      Result<internal::Entity> entity = DecodeAt(key, value);
      if (!entity.ok()) {
        inner = entity.status();
        return false;
      }
      // A fresh copy, not a view into the store: the state keeps its keys
      // for as long as it lives.
      found.emplace_back(std::string(key), std::move(*entity));
      return true;
    };
    if (Status s = ScanFiltered(prefix, accept, take); !s.ok()) return s;
    if (!inner.ok()) return inner;
    for (auto& record : found) records->push_back(std::move(record));
    for (auto& section : found_sections) {
      sections->push_back(std::move(section));
    }
    return Status();
  }

  Status Visit(std::string_view prefix, const KeyFilter& accept,
               const VisitFn& fn) override {
    Status inner;
    const RecordScanFn take = [&](std::string_view key,
                                  std::string_view value) {
      if (IsSectionKey(key)) return true;
      Result<internal::Entity> entity = DecodeAt(key, value);
      if (!entity.ok()) {
        inner = entity.status();
        return false;
      }
      return fn(key, *entity);
    };
    if (Status s = ScanFiltered(prefix, accept, take); !s.ok()) return s;
    return inner;
  }

 private:
  // Scans `prefix`, through the store's key filter when there is one.
  Status ScanFiltered(std::string_view prefix, const KeyFilter& accept,
                      const RecordScanFn& take) {
    return accept ? txn_->ScanMatching(prefix, accept, take)
                  : txn_->Scan(prefix, take);
  }

  // Decodes the record stored under `key`. kCorrupted for bytes the codec
  // cannot read and for a record whose contents belong under another key
  // (a bug, or bytes moved by hand: it would shadow or duplicate the real
  // one); kNotSupported for a newer format.
  Result<internal::Entity> DecodeAt(std::string_view key,
                                    std::string_view value) const {
    const std::string_view kind = internal::RecordKindOf(key);
    Result<RecordEntity> decoded = codec_->Decode(value);
    if (!decoded.ok()) {
      Status s = decoded.status().WithContext(
          "decoding a stored record of kind '" + std::string(kind) + "'");
      if (s.code() != Code::kNotSupported) {
        s = Status(Code::kCorrupted, s.message());
      }
      return s;
    }
    internal::Entity entity = ToEntity(std::move(*decoded));
    if (!IsKeyOf(key, entity)) {
      return CorruptedError("a stored record of kind '" + std::string(kind) +
                            "' does not match the key it is stored under");
    }
    return Result<internal::Entity>(std::move(entity));
  }

  RecordTransaction* txn_;
  const RecordCodec* codec_;
};

// Attaches a source to a state for one scope, detaching on every exit.
class SourceScope {
 public:
  SourceScope(internal::CacheState* state, internal::RecordSource* source)
      : state_(state) {
    state_->SetSource(source);
  }
  ~SourceScope() { state_->SetSource(nullptr); }
  SourceScope(const SourceScope&) = delete;
  SourceScope& operator=(const SourceScope&) = delete;

 private:
  internal::CacheState* state_;
};

// Writes what the journal of `state` says changed into `txn`.
Status WriteChanges(const internal::CacheState& state, RecordTransaction& txn,
                    const RecordCodec& codec) {
  for (const std::string& key : state.touched()) {
    const internal::Record* record = state.Peek(key);
    if (record == nullptr) {
      if (Status s = txn.Erase(key); !s.ok()) return s;
      continue;
    }
    Result<SecretBytes> value = codec.Encode(ToRecordEntity(record->entity));
    if (!value.ok()) return value.status().WithContext("encoding a record");
    if (Status s = txn.Put(key, value->view()); !s.ok()) return s;
  }
  if (state.sections_changed()) {
    for (const ExtraField& section : state.unknown_sections()) {
      Status s = txn.Put(internal::SectionKey(section.name),
                         section.json_value);
      if (!s.ok()) return s;
    }
  }
  return Status();
}

}  // namespace

// ------------------------------------------------------------------ views

UnixSeconds CacheView::Now() const { return options_->clock->Now(); }

AccessTokenLookup CacheView::FindAccessToken(
    const AccessTokenQuery& query) const {
  return state_->FindAccessToken(query, Now(), options_->expiry_buffer);
}

RefreshTokenLookup CacheView::FindRefreshToken(
    const RefreshTokenQuery& query) const {
  return state_->FindRefreshToken(query);
}

std::optional<IdToken> CacheView::FindIdToken(const IdTokenQuery& query) const {
  return state_->FindIdToken(query);
}

std::vector<Account> CacheView::GetAccounts(const AccountFilter& filter) const {
  return state_->GetAccounts(filter);
}

CacheSnapshot CacheView::Export() const { return state_->Export(); }

Status CacheTransaction::ApplyTokenResponse(const TokenRequestContext& context,
                                            const TokenResponse& response) {
  return state_->ApplyTokenResponse(context, response, Now());
}

void CacheTransaction::RemoveAccount(std::string_view home_account_id) {
  state_->RemoveAccount(home_account_id);
}

void CacheTransaction::Import(const CacheSnapshot& snapshot) {
  state_->Import(snapshot);
}

bool CacheTransaction::RemoveRefreshToken(const RefreshToken& token) {
  return state_->RemoveRefreshToken(token);
}

std::size_t CacheTransaction::PurgeExpiredAccessTokens() {
  return state_->PurgeExpiredAccessTokens(Now(), options_->expiry_buffer);
}

// ------------------------------------------------------------------ cache

class Cache::Impl {
 public:
  explicit Impl(CacheOptions opts) : options(std::move(opts)) {
    if (options.clock == nullptr) options.clock = SystemClock();
    if (options.max_conflict_retries < 0) options.max_conflict_retries = 0;
  }

  // Replaces the state with what the store holds. On error the state and
  // version are untouched. REQUIRES: `mu` held exclusively.
  Status Reload() {
    Result<std::optional<Blob>> blob = store->Read();
    if (!blob.ok()) return blob.status();
    internal::CacheState fresh;
    BlobVersion fresh_version;
    if (blob->has_value()) {
      Result<CacheSnapshot> snapshot =
          serializer->Deserialize((*blob)->bytes.view());
      if (!snapshot.ok()) {
        Status s = snapshot.status();
        // Whatever the serializer called it, unreadable stored bytes are
        // corruption to our caller, and are left in place.
        if (s.code() != Code::kCorrupted) {
          s = Status(Code::kCorrupted, s.message());
        }
        return s.WithContext("reading the cache store");
      }
      fresh.Import(std::move(*snapshot));
      fresh_version = (*blob)->version;
    }
    state = std::move(fresh);
    version = std::move(fresh_version);
    must_reload = false;
    return Status();
  }

  // Reloads when the store's version differs from the loaded one.
  // REQUIRES: `mu` held exclusively.
  Status ReloadIfChanged() {
    Result<BlobVersion> current = store->PeekVersion();
    if (!current.ok()) return current.status();
    if (*current == version && !must_reload) return Status();
    return Reload();
  }

  Status ReadRecords(const std::function<Status(const CacheView&)>& fn) {
    std::lock_guard<std::mutex> guard(read_mu);
    Result<std::unique_ptr<RecordTransaction>> txn = records->BeginRead();
    if (!txn.ok()) return txn.status();
    const std::uint64_t generation = (*txn)->generation();
    if (read_generation != generation ||
        read_state.partial_footprint() > kMaxCachedRecords) {
      read_state.ResetPartial();
      read_generation = generation;
    }
    StoreSource source(txn->get(), codec.get());
    Status status;
    {
      SourceScope scope(&read_state, &source);
      CacheView view(&read_state, &options);
      try {
        status = fn(view);
      } catch (...) {
        // A partition load may have stopped midway: forget them all.
        read_state.ResetPartial();
        read_generation.reset();
        (void)read_state.TakeSourceStatus();
        return Status(Code::kInternal, "exception in a cache read");
      }
    }
    // A load that failed inside `fn` means its answers were incomplete.
    if (Status load = read_state.TakeSourceStatus(); !load.ok()) return load;
    return status;
  }

  Status UpdateRecords(const std::function<Status(CacheTransaction&)>& fn) {
    // Taken before the store's writer lock, never after, so two threads
    // cannot wait for each other's locks in opposite order.
    std::lock_guard<std::mutex> guard(write_mu);
    try {
      return UpdateRecordsLocked(fn);
    } catch (...) {
      // From `fn` or an allocation: drop what it half-applied, and the
      // loaded partitions with it, so no later commit writes it. The
      // record transaction was aborted by its destructor.
      write_state.ResetPartial();
      write_generation.reset();
      (void)write_state.TakeSourceStatus();
      return Status(Code::kInternal, "exception in a cache update");
    }
  }

  // REQUIRES: `write_mu` held.
  Status UpdateRecordsLocked(
      const std::function<Status(CacheTransaction&)>& fn) {
    for (int attempt = 0; attempt <= options.max_conflict_retries;
         ++attempt) {
      Result<std::unique_ptr<RecordTransaction>> txn = records->BeginWrite();
      if (!txn.ok()) return txn.status();
      const std::uint64_t generation = (*txn)->generation();
      if (write_generation != generation ||
          write_state.partial_footprint() > kMaxCachedRecords) {
        write_state.ResetPartial();
        write_generation = generation;
      }
      StoreSource source(txn->get(), codec.get());
      SourceScope scope(&write_state, &source);
      write_state.BeginJournal();
      CacheTransaction view(&write_state, &options);
      Status status = fn(view);
      if (Status load = write_state.TakeSourceStatus(); !load.ok()) {
        status = load;
      }
      if (!status.ok()) {
        write_state.RollbackJournal();
        return status;
      }
      if (!write_state.changed()) {
        write_state.CommitJournal();
        return Status();
      }
      if (Status s = WriteChanges(write_state, **txn, *codec); !s.ok()) {
        write_state.RollbackJournal();
        return s;
      }
      Result<std::uint64_t> committed = (*txn)->Commit(generation);
      if (committed.ok()) {
        write_state.CommitJournal();
        write_generation = *committed;
        return Status();
      }
      write_state.RollbackJournal();
      if (committed.status().code() != Code::kConflict) {
        return committed.status();
      }
      // Another writer committed since this transaction began: run `fn`
      // again on what it wrote.
    }
    return Status(Code::kConflict,
                  "cache update gave up after " +
                      std::to_string(options.max_conflict_retries + 1) +
                      " conflicting writes");
  }

  Status Read(const std::function<Status(const CacheView&)>& fn) {
    if (records != nullptr) return ReadRecords(fn);
    if (store != nullptr) {
      Result<BlobVersion> current = store->PeekVersion();
      if (!current.ok()) return current.status();
      std::shared_lock<std::shared_mutex> shared(mu);
      if (*current != version || must_reload) {
        shared.unlock();
        {
          // Readers do not need the cross-process lock to see a consistent
          // blob (BlobStore writes are atomic), but a store may publish its
          // bytes and its version in two steps: holding the shared lock
          // while reloading keeps us from reading between them.
          std::unique_ptr<LockHandle> handle;
          if (lock != nullptr) {
            Result<std::unique_ptr<LockHandle>> acquired =
                lock->Acquire(LockMode::kShared, LockDeadline());
            if (!acquired.ok()) return acquired.status();
            handle = std::move(*acquired);
          }
          std::unique_lock<std::shared_mutex> exclusive(mu);
          if (Status s = ReloadIfChanged(); !s.ok()) return s;
        }
        shared.lock();
      }
      CacheView view(&state, &options);
      return fn(view);
    }
    std::shared_lock<std::shared_mutex> shared(mu);
    CacheView view(&state, &options);
    return fn(view);
  }

  Deadline LockDeadline() const {
    // now + lock_timeout would overflow the clock's nanoseconds for a
    // timeout such as milliseconds::max() ("wait forever"): undefined
    // behaviour that in practice yields a past deadline and an instant
    // kLockTimeout. About 30 years is forever for a lock wait.
    constexpr std::chrono::milliseconds kForever =
        std::chrono::hours(24 * 365 * 30);
    const std::chrono::milliseconds timeout =
        std::clamp(options.lock_timeout, std::chrono::milliseconds(0),
                   kForever);
    return std::chrono::steady_clock::now() + timeout;
  }

  Status Update(const std::function<Status(CacheTransaction&)>& fn) {
    if (records != nullptr) return UpdateRecords(fn);
    std::unique_ptr<LockHandle> handle;
    if (lock != nullptr) {
      Result<std::unique_ptr<LockHandle>> acquired =
          lock->Acquire(LockMode::kExclusive, LockDeadline());
      if (!acquired.ok()) return acquired.status();
      handle = std::move(*acquired);
    }
    std::unique_lock<std::shared_mutex> exclusive(mu);
    try {
      return UpdateLocked(fn);
    } catch (...) {
      // From `fn` or an allocation. Without the rollback the half-applied
      // changes would stay in `state`, and the next successful update
      // would write them to the store. The journal may miss a mutation
      // that threw midway, so a persistent cache also reloads.
      state.RollbackJournal();
      if (store != nullptr) must_reload = true;
      return Status(Code::kInternal, "exception in a cache update");
    }
  }

  // REQUIRES: the cross-process lock (if any) and `mu` held exclusively.
  Status UpdateLocked(const std::function<Status(CacheTransaction&)>& fn) {
    bool force_reload = false;
    for (int attempt = 0; attempt <= options.max_conflict_retries;
         ++attempt) {
      if (store != nullptr) {
        Status s = force_reload ? Reload() : ReloadIfChanged();
        if (!s.ok()) return s;
      }
      state.BeginJournal();
      CacheTransaction txn(&state, &options);
      Status status = fn(txn);
      if (!status.ok()) {
        state.RollbackJournal();
        return status;
      }
      if (!state.changed() || store == nullptr) {
        state.CommitJournal();
        return Status();
      }
      Result<SecretBytes> bytes = serializer->Serialize(state.Export());
      if (!bytes.ok()) {
        state.RollbackJournal();
        return bytes.status().WithContext("serializing the cache");
      }
      Result<BlobVersion> written = store->Write(bytes->view(), version);
      if (written.ok()) {
        version = std::move(*written);
        state.CommitJournal();
        return Status();
      }
      state.RollbackJournal();
      if (written.status().code() != Code::kConflict) {
        return written.status();
      }
      // Another writer got in without our lock (or without any lock):
      // start again from what it wrote.
      force_reload = true;
    }
    return Status(Code::kConflict,
                  "cache update gave up after " +
                      std::to_string(options.max_conflict_retries + 1) +
                      " conflicting writes");
  }

  CacheOptions options;
  std::unique_ptr<BlobStore> store;
  std::unique_ptr<Serializer> serializer;
  std::unique_ptr<Lock> lock;

  // Guards `state` and `version`: shared for reads, exclusive for updates
  // and reloads.
  std::shared_mutex mu;
  internal::CacheState state;
  BlobVersion version;
  // Set when an exception may have left `state` unlike the store's bytes.
  bool must_reload = false;

  // Record-store caches use these instead of `store`, `state` and `mu`:
  // partial states that load partitions on demand, one for readers and one
  // for the writer, so readers never wait for a commit's fsync.
  std::unique_ptr<RecordStore> records;
  std::unique_ptr<const RecordCodec> codec;
  std::mutex read_mu;
  internal::CacheState read_state;
  std::optional<std::uint64_t> read_generation;
  std::mutex write_mu;
  internal::CacheState write_state;
  std::optional<std::uint64_t> write_generation;
};

Cache::Cache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cache::~Cache() = default;

std::unique_ptr<Cache> Cache::NewInMemory(CacheOptions options) {
  return std::unique_ptr<Cache>(
      new Cache(std::make_unique<Impl>(std::move(options))));
}

Result<std::unique_ptr<Cache>> Cache::Open(
    std::unique_ptr<BlobStore> store, std::unique_ptr<Serializer> serializer,
    std::unique_ptr<Lock> lock, CacheOptions options) {
  if (store == nullptr) {
    return InvalidArgumentError("Cache::Open: store is null");
  }
  if (serializer == nullptr) {
    return InvalidArgumentError("Cache::Open: serializer is null");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->store = std::move(store);
  impl->serializer = std::move(serializer);
  impl->lock = std::move(lock);
  {
    std::unique_ptr<LockHandle> handle;
    if (impl->lock != nullptr) {
      Result<std::unique_ptr<LockHandle>> acquired =
          impl->lock->Acquire(LockMode::kShared, impl->LockDeadline());
      if (!acquired.ok()) return acquired.status();
      handle = std::move(*acquired);
    }
    std::unique_lock<std::shared_mutex> exclusive(impl->mu);
    if (Status s = impl->Reload(); !s.ok()) return s;
  }
  return std::unique_ptr<Cache>(new Cache(std::move(impl)));
}

Result<std::unique_ptr<Cache>> Cache::Open(
    std::unique_ptr<RecordStore> store,
    std::unique_ptr<const RecordCodec> codec, CacheOptions options) {
  if (store == nullptr) {
    return InvalidArgumentError("Cache::Open: record store is null");
  }
  if (codec == nullptr) {
    return InvalidArgumentError("Cache::Open: record codec is null");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  // Fail now, not at the first lookup, when the store cannot be read.
  Result<std::unique_ptr<RecordTransaction>> probe = store->BeginRead();
  if (!probe.ok()) return probe.status();
  probe->reset();
  impl->records = std::move(store);
  impl->codec = std::move(codec);
  return std::unique_ptr<Cache>(new Cache(std::move(impl)));
}

// No exception crosses the public API (status.h); its text is not kept,
// since it may quote cache data. Update() rolls its transaction back.
Status Cache::Read(const std::function<Status(const CacheView&)>& fn) {
  try {
    return impl_->Read(fn);
  } catch (...) {
    return Status(Code::kInternal, "exception in a cache read");
  }
}

Status Cache::Update(const std::function<Status(CacheTransaction&)>& fn) {
  return impl_->Update(fn);
}

Result<AccessTokenLookup> Cache::FindAccessToken(
    const AccessTokenQuery& query) {
  AccessTokenLookup out;
  Status s = Read([&](const CacheView& view) {
    out = view.FindAccessToken(query);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<RefreshTokenLookup> Cache::FindRefreshToken(
    const RefreshTokenQuery& query) {
  RefreshTokenLookup out;
  Status s = Read([&](const CacheView& view) {
    out = view.FindRefreshToken(query);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<IdToken>> Cache::FindIdToken(const IdTokenQuery& query) {
  std::optional<IdToken> out;
  Status s = Read([&](const CacheView& view) {
    out = view.FindIdToken(query);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<Account>> Cache::GetAccounts(const AccountFilter& filter) {
  std::vector<Account> out;
  Status s = Read([&](const CacheView& view) {
    out = view.GetAccounts(filter);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status Cache::ApplyTokenResponse(const TokenRequestContext& context,
                                 const TokenResponse& response) {
  return Update([&](CacheTransaction& txn) {
    return txn.ApplyTokenResponse(context, response);
  });
}

Status Cache::RemoveAccount(std::string_view home_account_id) {
  return Update([&](CacheTransaction& txn) {
    txn.RemoveAccount(home_account_id);
    return Status();
  });
}

Status Cache::Import(const CacheSnapshot& snapshot) {
  return Update([&](CacheTransaction& txn) {
    txn.Import(snapshot);
    return Status();
  });
}

Result<CacheSnapshot> Cache::Export() {
  CacheSnapshot out;
  Status s = Read([&](const CacheView& view) {
    out = view.Export();
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace tokencache
