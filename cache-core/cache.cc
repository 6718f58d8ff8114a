// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/cache.h"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "cache-core/cache_state.h"

namespace tokencache {

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
      fresh.Import(*snapshot);
      fresh_version = (*blob)->version;
    }
    state = std::move(fresh);
    version = std::move(fresh_version);
    return Status();
  }

  // Reloads when the store's version differs from the loaded one.
  // REQUIRES: `mu` held exclusively.
  Status ReloadIfChanged() {
    Result<BlobVersion> current = store->PeekVersion();
    if (!current.ok()) return current.status();
    if (*current == version) return Status();
    return Reload();
  }

  Status Read(const std::function<Status(const CacheView&)>& fn) {
    if (store != nullptr) {
      Result<BlobVersion> current = store->PeekVersion();
      if (!current.ok()) return current.status();
      std::shared_lock<std::shared_mutex> shared(mu);
      if (*current != version) {
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
    return std::chrono::steady_clock::now() + options.lock_timeout;
  }

  Status Update(const std::function<Status(CacheTransaction&)>& fn) {
    std::unique_ptr<LockHandle> handle;
    if (lock != nullptr) {
      Result<std::unique_ptr<LockHandle>> acquired =
          lock->Acquire(LockMode::kExclusive, LockDeadline());
      if (!acquired.ok()) return acquired.status();
      handle = std::move(*acquired);
    }
    std::unique_lock<std::shared_mutex> exclusive(mu);
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

Status Cache::Read(const std::function<Status(const CacheView&)>& fn) {
  return impl_->Read(fn);
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
