// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// CacheState: the indexed in-memory cache. Entities live in one ordered map
// from record key (record_key.h) to a Record, so every query is a prefix
// scan of one partition: O(log n + records under the prefix), never a scan
// of all tokens. Each access token is stored with its pre-normalized scope
// set, token type and alias group, so that a lookup compares string_views
// and allocates nothing until it copies the token it returns.
//
// Writes can be journaled: BeginJournal() starts recording the previous
// value of every key touched, RollbackJournal() restores them, so a failed
// persistence step leaves the state as it was.
//
// Not thread-safe: Cache (cache.h) serializes writers and lets readers share.

#ifndef TOKENCACHE_CACHE_CORE_CACHE_STATE_H_
#define TOKENCACHE_CACHE_CORE_CACHE_STATE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tokencache/clock.h"
#include "tokencache/query.h"
#include "tokencache/schema.h"
#include "tokencache/status.h"
#include "tokencache/token_response.h"

namespace tokencache {
namespace internal {

using Entity =
    std::variant<AccessToken, RefreshToken, IdToken, Account, AppMetadata>;

struct Record {
  Entity entity;
  std::string env_group;            // EnvironmentGroupKey(environment).
  std::vector<std::string> scopes;  // Access tokens: NormalizeScopes(target).
  std::string token_type;           // Access tokens: NormalizeTokenType().
};

// Builds the Record (with derived fields) for an entity.
Record MakeRecord(Entity entity);
std::string RecordKeyOf(const Entity& entity);

// How many records queries on this thread have looked at since the thread
// started: a test hook proving that lookups touch one partition only.
std::uint64_t RecordVisitsOnThisThread();

class CacheState {
 public:
  CacheState() = default;
  CacheState(const CacheState&) = delete;
  CacheState& operator=(const CacheState&) = delete;
  CacheState(CacheState&&) = default;
  CacheState& operator=(CacheState&&) = default;

  // ---- Queries (msal-cache-rules.md §3, §4). ----
  AccessTokenLookup FindAccessToken(const AccessTokenQuery& query,
                                    UnixSeconds now,
                                    std::chrono::seconds buffer) const;
  RefreshTokenLookup FindRefreshToken(const RefreshTokenQuery& query) const;
  std::optional<IdToken> FindIdToken(const IdTokenQuery& query) const;
  std::vector<Account> GetAccounts(const AccountFilter& filter) const;
  FociMembership Membership(std::string_view client_id,
                            std::string_view environment) const;
  CacheSnapshot Export() const;
  std::size_t size() const { return records_.size(); }

  // Calls `fn` for every record whose key starts with `prefix`, in key
  // order, until it returns false.
  void ScanPrefix(std::string_view prefix,
                  const std::function<bool(std::string_view key,
                                           const Record& record)>& fn) const;

  // ---- Mutations. ----

  // Stores what a token response says (msal-cache-rules.md §6). Returns
  // kInvalidArgument, storing nothing, for a context without client or
  // host, an undecodable client_info or ID token, a user flow whose account
  // cannot be told, or a response for another account than requested.
  Status ApplyTokenResponse(const TokenRequestContext& context,
                            const TokenResponse& response, UnixSeconds now);

  // Removes every AT, RT, ID token and Account of `home_account_id` (all
  // environments and tenants, and on-behalf-of tokens that name it).
  // AppMetadata stays. Returns how many records were removed.
  std::size_t RemoveAccount(std::string_view home_account_id);

  // Removes the refresh token with the identity of `token`. Returns whether
  // one was removed.
  bool RemoveRefreshToken(const RefreshToken& token);

  // Merges `snapshot` in: entities with the identity of a stored one
  // replace it unless older (access tokens by cached_at, refresh tokens by
  // last_modification_time); the loser's unknown fields that the winner
  // lacks are kept. Unknown sections are merged by name, incoming wins.
  void Import(const CacheSnapshot& snapshot);

  // Inserts `entity`, replacing any entity of the same identity and merging
  // in the replaced entity's unknown fields that `entity` lacks.
  void Upsert(Entity entity);

  // ---- Journal. ----
  void BeginJournal();
  void CommitJournal();
  void RollbackJournal();
  // True when a mutation happened since BeginJournal().
  bool changed() const { return changed_; }

 private:
  using Map = std::map<std::string, Record, std::less<>>;

  const Record* Find(std::string_view key) const;
  void Put(std::string key, Record record);
  void Erase(std::string_view key);
  void Remember(const std::string& key);
  void MergeIncoming(Entity incoming);

  Map records_;
  // Keys of Account records, so that listing accounts does not scan tokens.
  std::set<std::string, std::less<>> account_keys_;
  ExtraFields unknown_sections_;

  bool journaling_ = false;
  bool changed_ = false;
  std::vector<std::pair<std::string, std::optional<Record>>> journal_;
  std::optional<ExtraFields> journal_sections_;
};

// Adds to `into` the fields of `from` whose names `into` lacks, in order.
void MergeExtras(ExtraFields* into, const ExtraFields& from);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_CORE_CACHE_STATE_H_
