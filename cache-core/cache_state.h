// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// CacheState: the indexed in-memory cache. Entities live in one ordered map
// from record key (record_key.h) to a Record, so every query is a prefix
// scan of one partition: O(log n + records under the prefix), never a scan
// of all tokens. Each access token is stored with its pre-normalized scope
// set and alias group, so that a lookup compares string_views and
// allocates nothing until it copies the token it returns. Silent
// access-token lookups, the hot path, skip the ordered map: a secondary
// index (AtIndex below) maps each access-token prefix to its records.
//
// Writes can be journaled: BeginJournal() starts recording the previous
// value of every key touched, RollbackJournal() restores them, so a failed
// persistence step leaves the state as it was.
//
// A state can also be *partial*: a window on a record store (record_store.h)
// that holds only what was asked for. With a RecordSource attached, every
// query and mutation first loads the key prefix it is about to look at
// (Need()), so a lookup reads one partition of the store, never all of it.
// A silent lookup seen for the first time reads the store without keeping
// anything (admission, NeedAccessTokens).
// Loaded records stay valid for as long as the store's generation does not
// change; the owner (Cache) resets the state when it does.
//
// Not thread-safe: Cache (cache.h) serializes writers and lets readers share
// (a partial state is used by one thread at a time, even for queries,
// because queries load records).

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
#include <unordered_map>
#include <unordered_set>
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
};

// Builds the Record (with derived fields) for an entity.
Record MakeRecord(Entity entity);
std::string RecordKeyOf(const Entity& entity);

// Where a partial CacheState loads records from.
class RecordSource {
 public:
  enum class Filter {
    kAll,       // every record under the prefix (and unknown sections)
    kAccounts,  // Account records only
  };
  // Decides from a record's key alone whether to load it.
  using KeyFilter = std::function<bool(std::string_view key)>;
  // Receives one decoded record; may move from it. Returns false to stop.
  using VisitFn = std::function<bool(std::string_view key, Entity& entity)>;
  virtual ~RecordSource() = default;
  // Appends to `records` every record under `prefix` that passes `filter`
  // and, when `accept` is set, whose key it accepts (a record it rejects is
  // not decoded), with the key it is stored under; and to `sections` the
  // unknown top-level sections stored under the prefix (kAll without
  // `accept` only). On error appends nothing.
  virtual Status Load(std::string_view prefix, Filter filter,
                      const KeyFilter& accept,
                      std::vector<std::pair<std::string, Entity>>* records,
                      ExtraFields* sections) = 0;
  // Calls `fn` with every record under `prefix` whose key `accept` accepts
  // (every record when empty), decoded, in key order, until it returns
  // false. Unknown sections are skipped. On error returns it; `fn` may
  // have seen records before it.
  virtual Status Visit(std::string_view prefix, const KeyFilter& accept,
                       const VisitFn& fn) = 0;
};

// The key prefix under which a record store keeps unknown top-level
// sections ("s|" then the escaped section name).
inline constexpr std::string_view kSectionKeyPrefix = "s|";
std::string SectionKey(std::string_view name);
// The section name in a key made by SectionKey, or nullopt.
std::optional<std::string> SectionNameOf(std::string_view key);

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
  // Records plus what a partial state remembers having loaded: the bound
  // its owner resets it by (a run of misses loads no record but adds
  // remembered lookups).
  std::size_t partial_footprint() const {
    return records_.size() + loaded_.size() + loaded_lookups_.size();
  }

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

  // Removes every access token that AccessTokenState (rules.h) classifies
  // as kExpired at `now` with `buffer`, i.e. every one a lookup would
  // report expired. Loads the whole cache. Returns how many were removed.
  std::size_t PurgeExpiredAccessTokens(UnixSeconds now,
                                       std::chrono::seconds buffer);

  // Merges `snapshot` in: entities with the identity of a stored one
  // replace it unless older (access tokens by cached_at, refresh tokens by
  // last_modification_time); the loser's unknown fields that the winner
  // lacks are kept. Unknown sections are merged by name, incoming wins.
  void Import(const CacheSnapshot& snapshot);
  // The same, taking the entities instead of copying them: a reload does
  // not copy (and wipe) every secret of the snapshot it just parsed.
  void Import(CacheSnapshot&& snapshot);

  // Inserts `entity`, replacing any entity of the same identity and merging
  // in the replaced entity's unknown fields that `entity` lacks.
  void Upsert(Entity entity);

  // ---- Journal. ----
  void BeginJournal();
  void CommitJournal();
  void RollbackJournal();
  // True when a mutation happened since BeginJournal().
  bool changed() const { return changed_; }

  // ---- Partial states (record stores). ----

  // Attaches `source` (not owned; nullptr detaches). While attached, the
  // state is partial: it loads what each operation needs from `source`.
  void SetSource(RecordSource* source) { source_ = source; }
  // Forgets every record, loaded prefix and section: the next operations
  // load afresh.
  void ResetPartial();
  // Returns and clears the first error a load met since the last call.
  // Queries that met one answered from incomplete data: discard them.
  Status TakeSourceStatus();
  // Keys put or erased since BeginJournal() (partial states only), and
  // whether unknown sections changed.
  const std::set<std::string, std::less<>>& touched() const {
    return touched_;
  }
  bool sections_changed() const { return journal_sections_.has_value(); }
  const ExtraFields& unknown_sections() const { return unknown_sections_; }
  // The record under `key` if present in memory, without loading.
  const Record* Peek(std::string_view key) const;

 private:
  using Map = std::map<std::string, Record, std::less<>>;

  // One slot of sightings_ (see there).
  struct Sighting {
    std::uint32_t tag = 0;
    std::uint32_t epoch = 0;  // 0: never written
  };

  // One access-token record in the secondary index: where it lives in
  // records_, and a 64-bit summary of its scope set (one bit per scope,
  // chosen by a hash of the lower-cased scope) that lets a lookup reject
  // most tokens of a partition without touching their records.
  struct AtSlot {
    Map::iterator it;
    // The record's access token (nullptr if it holds another entity), so
    // that the walk does not read the variant's tag from the record.
    const AccessToken* token;
    std::uint64_t scope_bits;
  };
  // The records under each access-token prefix (AccessTokenPrefix:
  // partition "at|" client "|" realm "|"), in key order, so that a silent
  // lookup is one hash and a short contiguous walk instead of a search
  // over every key and node hops. It indexes exactly the keys a prefix
  // scan of records_ would visit, and is kept in step by Insert/Drop, the
  // only places that add, replace or remove records (ResetPartial clears
  // both). Map iterators stay valid across moves of the map.
  using AtIndex = std::unordered_map<std::string, std::vector<AtSlot>>;

  // Stores `record` under `key` (replacing any record there) and updates
  // account_keys_ and at_index_.
  Map::iterator Insert(std::string key, Record record) const;
  // Insert() for a `key` records_ lacks, `hint` being where it goes
  // (records_.lower_bound(key)).
  Map::iterator InsertAbsent(Map::iterator hint, std::string key,
                             Record record) const;
  // Removes the record at `it` from records_ and every index.
  void Drop(Map::iterator it) const;
  void IndexAdd(Map::iterator it) const;
  void IndexRemove(Map::iterator it) const;

  const Record* Find(std::string_view key) const;
  // Loads every record under `prefix` from the source, once per prefix.
  // No-op without a source.
  void Need(std::string_view prefix,
            RecordSource::Filter filter = RecordSource::Filter::kAll) const;
  bool Covered(std::string_view prefix) const;
  // Loads from the source the records under `prefix` that pass `filter`
  // and `accept`, keeping what memory already holds, and appends the
  // unknown sections to `sections`. On a source error records it (see
  // TakeSourceStatus) and returns false.
  bool LoadFromSource(std::string_view prefix, RecordSource::Filter filter,
                      const RecordSource::KeyFilter& accept,
                      ExtraFields* sections) const;
  // Where a silent lookup reads its access tokens.
  enum class AtSource {
    kMemory,  // records_ holds every token that can match
    kSource,  // read them from the source, keeping nothing
  };
  // Prepares a silent lookup of `scopes` under the access-token prefix
  // `prefix`. The only tokens that can match are those whose key names
  // every scope the lookup requires (ScopesSatisfy); a cold lookup reads
  // just those, one or two tokens rather than the whole partition.
  //
  // Admission: the first time a lookup is seen (since the last reset) the
  // answer is read straight from the source and nothing is kept: returns
  // kSource and sets `*accept` to the key filter to read with (it refers
  // to per-thread buffers: use it before this thread's next lookup). The
  // second time, the tokens are loaded into records_ and the lookup
  // remembered, so later ones are answered from memory. A service touching
  // many partitions once each thus neither allocates the records nor
  // evicts the partitions it does reuse. Only states that are not
  // journaling (readers) take kSource: a writer's queries must see its own
  // changes.
  //
  // Falls back to Need(prefix) when the lookup requires no scope. Returns
  // kMemory without a source or once the prefix is loaded.
  AtSource NeedAccessTokens(std::string_view prefix,
                            const std::vector<std::string>& scopes,
                            RecordSource::KeyFilter* accept) const;
  // FindAccessToken() on the records the source passes through `accept`,
  // moving the answer out of what it decoded.
  AccessTokenLookup FindAccessTokenInSource(
      std::string_view prefix, const RecordSource::KeyFilter& accept,
      const AccessTokenQuery& query, UnixSeconds now,
      std::chrono::seconds buffer) const;
  // Records a sighting of the lookup memo `lookup` (see sightings_);
  // returns whether it is the first since the last reset.
  bool FirstSighting(std::string_view lookup) const;
  static constexpr std::size_t kSightingSlots = 16384;
  static constexpr std::size_t kMaxSightings = kSightingSlots / 4 * 3;
  // Starts a new epoch of sightings_, which empties it.
  void NewSightingEpoch() const;
  void Put(std::string key, Record record);
  void Erase(std::string_view key);
  void Remember(const std::string& key);
  void MergeIncoming(Entity incoming);
  // Merges the unknown top-level sections of `snapshot` (Import).
  void ImportSections(const CacheSnapshot& snapshot);

  // Mutable because a partial state loads records inside const queries.
  mutable Map records_;
  // Keys of Account records, so that listing accounts does not scan tokens.
  mutable std::set<std::string, std::less<>> account_keys_;
  mutable AtIndex at_index_;
  mutable ExtraFields unknown_sections_;

  RecordSource* source_ = nullptr;
  mutable std::set<std::string, std::less<>> loaded_;
  mutable bool loaded_all_ = false;
  mutable bool loaded_accounts_ = false;
  // Lookups NeedAccessTokens loaded for: prefix, NUL, the required scopes
  // as the key spells them, sorted, space-separated.
  mutable std::unordered_set<std::string> loaded_lookups_;
  // Admission (NeedAccessTokens): the lookups answered from the source
  // since the last reset, as an open-addressing table (linear probing) of
  // 32-bit tags of their hashes, each stamped with the epoch it was
  // written in. A slot of another epoch is empty, so ResetPartial() empties
  // the table by bumping `epoch_`, and past kMaxSightings a new epoch
  // starts: a stream of one-off lookups never grows it. A lookup is taken
  // for another only when it meets that one's tag while probing (odds
  // about 2^-32 per slot probed), which at worst loads it a sighting
  // early. Sightings are not records and do not count against
  // partial_footprint(), so one-off lookups never evict the partitions a
  // reader does reuse. Allocated on a reader's first cold lookup:
  // kSightingSlots * 8 bytes.
  mutable std::vector<Sighting> sightings_;
  mutable std::size_t sighting_count_ = 0;  // in the current epoch
  mutable std::uint32_t epoch_ = 1;
  mutable Status source_status_;
  std::set<std::string, std::less<>> touched_;

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
