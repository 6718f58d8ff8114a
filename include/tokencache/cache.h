// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Cache is the token cache an SDK embeds: it answers silent lookups with
// MSAL's matching and expiry rules (query.h), stores token responses with
// MSAL's write rules, lists and removes accounts, and imports and exports
// whole caches. Start with Cache::NewInMemory() for a process-local cache,
// or Cache::Open() over a BlobStore (a file, a keychain item) whose bytes a
// Serializer encodes (MSAL JSON keeps the file readable by MSAL apps), or
// Cache::Open() over a RecordStore (LMDB, Redis) where each lookup reads
// only the records of its partition.
//
// Entities are identified by their fields, not by the JSON key strings they
// were read under, and indexed by partition (home account, or client and
// tenant for app tokens): a lookup costs O(log n + tokens of the partition).
// docs/cache-rules.md lists the choices made where MSAL libraries disagree.
//
// Thread safety: one Cache may be shared by many threads. Reads run in
// parallel under a reader-writer mutex; writes are serialized and, for a
// persistent cache, also take the cross-process Lock if one was given.

#ifndef TOKENCACHE_CACHE_H_
#define TOKENCACHE_CACHE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "tokencache/blob_store.h"
#include "tokencache/clock.h"
#include "tokencache/export.h"
#include "tokencache/lock.h"
#include "tokencache/query.h"
#include "tokencache/record_store.h"
#include "tokencache/schema.h"
#include "tokencache/serializer.h"
#include "tokencache/status.h"
#include "tokencache/token_response.h"

namespace tokencache {

namespace internal {
class CacheState;
}  // namespace internal

struct CacheOptions {
  // Where every expiry decision and every written timestamp takes the time
  // from. Default: null, meaning SystemClock().
  std::shared_ptr<const Clock> clock;

  // An access token is served only while more than this is left before its
  // expires_on (MSAL's 5 minutes). Default: 300 s.
  std::chrono::seconds expiry_buffer{300};

  // How long a write waits for the cross-process lock before failing with
  // kLockTimeout. Unused without a Lock. Default: 30 s.
  std::chrono::milliseconds lock_timeout{30000};

  // How many times a write re-runs after the store reported a conflicting
  // writer (kConflict) before giving up with kConflict. Default: 3.
  int max_conflict_retries = 3;
};

// The read-only view of the cache inside Cache::Read. Valid only during the
// callback; the methods answer from one consistent state.
class TOKENCACHE_EXPORT CacheView {
 public:
  CacheView(const CacheView&) = delete;
  CacheView& operator=(const CacheView&) = delete;

  // See Cache::FindAccessToken and the other methods of the same names.
  AccessTokenLookup FindAccessToken(const AccessTokenQuery& query) const;
  RefreshTokenLookup FindRefreshToken(const RefreshTokenQuery& query) const;
  std::optional<IdToken> FindIdToken(const IdTokenQuery& query) const;
  std::vector<Account> GetAccounts(const AccountFilter& filter) const;
  CacheSnapshot Export() const;

  // The time this view judges expiry at (the cache's clock).
  UnixSeconds Now() const;

 protected:
  friend class Cache;
  CacheView(internal::CacheState* state, const CacheOptions* options)
      : state_(state), options_(options) {}
  ~CacheView() = default;

  internal::CacheState* state_;
  const CacheOptions* options_;
};

// The mutable view inside Cache::Update. Changes become visible to other
// threads only when the update commits; if the callback fails or the store
// write fails, all of them are undone.
class TOKENCACHE_EXPORT CacheTransaction : public CacheView {
 public:
  // See Cache::ApplyTokenResponse, Cache::RemoveAccount, Cache::Import.
  Status ApplyTokenResponse(const TokenRequestContext& context,
                            const TokenResponse& response);
  void RemoveAccount(std::string_view home_account_id);
  void Import(const CacheSnapshot& snapshot);

  // Removes the refresh token with the identity of `token` (home account,
  // cloud, client or family); MSAL Node does this on a bad_token error.
  // Returns whether one was removed.
  bool RemoveRefreshToken(const RefreshToken& token);

  // Removes every access token that FindAccessToken would report as
  // kExpired now: expires_on missing, not later than Now() plus
  // options.expiry_buffer, more than 10 years ahead, or cached_at in the
  // future. Tokens due for a proactive refresh stay. Reads the whole cache
  // (a record store loads every partition). Returns how many were removed.
  std::size_t PurgeExpiredAccessTokens();

 private:
  friend class Cache;
  using CacheView::CacheView;
};

class TOKENCACHE_EXPORT Cache {
 public:
  // A cache held in this process only.
  static std::unique_ptr<Cache> NewInMemory(CacheOptions options = {});

  // A cache whose records are held as one snapshot in `store`, encoded by
  // `serializer`. `lock` excludes writers of other processes; it may be null
  // when one process owns the store. Reads what the store holds now.
  //
  // Returns kInvalidArgument when `store` or `serializer` is null,
  // kCorrupted when the stored bytes do not parse (nothing is overwritten),
  // or the store's error (kUnavailable, kIoError, ...).
  static Result<std::unique_ptr<Cache>> Open(
      std::unique_ptr<BlobStore> store, std::unique_ptr<Serializer> serializer,
      std::unique_ptr<Lock> lock, CacheOptions options = {});

  // A cache whose records live one per entity in `store`, encoded by
  // `codec` (serializers/binary_record_codec.h). Nothing is loaded up front:
  // each lookup reads only the key prefix of its partition, inside one read
  // transaction. A silent lookup seen for the first time keeps nothing it
  // decoded; from the second time on, what it decoded is kept while the
  // store's generation stays the same (up to 20k records), so a repeated
  // silent hit decodes nothing. Updates run
  // in one write transaction committed with compare-and-swap on the
  // generation (retried as options.max_conflict_retries says); the store
  // orders writers across processes, so no Lock is used and
  // options.lock_timeout does not apply (an LMDB writer waits for the one
  // before it). Checks that the store can be read.
  //
  // Returns kInvalidArgument when `store` or `codec` is null, or the
  // store's error. Later calls return kCorrupted when a record they need
  // does not decode or is stored under a key that is not its own; other
  // records stay usable. (A silent lookup needs only the access tokens
  // whose key names every scope it asks for; `tokencache verify` reads
  // every record.)
  static Result<std::unique_ptr<Cache>> Open(
      std::unique_ptr<RecordStore> store,
      std::unique_ptr<const RecordCodec> codec, CacheOptions options = {});

  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  ~Cache();

  // Finds the access token for a silent request (matching rules in
  // query.h). The answer says whether it is valid, due for a proactive
  // refresh, expired, or absent; a copy of the token comes with the first
  // two. Errors are the store's (reloading a persistent cache) or
  // kCorrupted when changed stored bytes do not parse.
  Result<AccessTokenLookup> FindAccessToken(const AccessTokenQuery& query);

  // Finds the app's refresh token and the account's family refresh token
  // in the query's cloud, and the app's family membership.
  Result<RefreshTokenLookup> FindRefreshToken(const RefreshTokenQuery& query);

  // Finds the ID token of (account, cloud, client, realm).
  Result<std::optional<IdToken>> FindIdToken(const IdTokenQuery& query);

  // Lists Account records matching `filter` (all by default). Accounts are
  // listed whether or not they hold a refresh token, as MSAL Python does,
  // unless filter.with_refresh_token_for_client asks for NET's rule.
  Result<std::vector<Account>> GetAccounts(const AccountFilter& filter = {});

  // Stores a successful token response (msal-cache-rules.md §6): the AT
  // (after deleting ATs with intersecting scopes), the RT (a refresh
  // grant's new RT replaces the old in the same write), ID token, Account
  // and AppMetadata. Returns kInvalidArgument, storing nothing, when
  // `context` lacks client_id or authority_host, when client_info or the ID
  // token cannot be decoded, when a user flow's account cannot be told, or
  // when the response names another account than the request.
  Status ApplyTokenResponse(const TokenRequestContext& context,
                            const TokenResponse& response);

  // Removes the account's access, refresh and ID tokens and Account
  // records in every environment alias and tenant. AppMetadata is kept.
  // Removing an unknown account is OK.
  Status RemoveAccount(std::string_view home_account_id);

  // Merges `snapshot` into the cache, de-duplicating by identity (see
  // docs/cache-rules.md "Import").
  Status Import(const CacheSnapshot& snapshot);

  // Returns everything in the cache, unknown top-level sections included.
  Result<CacheSnapshot> Export();

  // Runs `fn` on a consistent view. A persistent cache first asks the store
  // for its version and reloads only when it changed; an unchanged store is
  // neither re-read nor re-parsed, and no cross-process lock is taken.
  // Returns `fn`'s status, or a reload error.
  // REQUIRES: `fn` does not call this Cache (it would deadlock); it reads
  // through the view it is given.
  Status Read(const std::function<Status(const CacheView&)>& fn);

  // Runs `fn` as a transaction: take the cross-process lock (if any), reload
  // if the store changed, run `fn`, then (if it changed anything) serialize
  // and write with the loaded version as the expected one. If the store
  // reports a conflicting writer, reloads and runs `fn` again, at most
  // options.max_conflict_retries more times; `fn` must therefore only act
  // through the transaction. If `fn` fails or the write fails, the cache is
  // left as it was. Returns `fn`'s error, kLockTimeout, kCorrupted, kConflict
  // (retries exhausted) or the store's or serializer's error.
  // REQUIRES: `fn` does not call this Cache.
  Status Update(const std::function<Status(CacheTransaction&)>& fn);

 private:
  class Impl;
  explicit Cache(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_H_
