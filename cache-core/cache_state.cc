// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/cache_state.h"

#include <algorithm>
#include <utility>

#include "cache-core/record_key.h"
#include "cache-core/rules.h"

namespace tokencache {
namespace internal {
namespace {

thread_local std::uint64_t record_visits = 0;

// Key buffer reused by lookups on this thread, so that the hot path does not
// allocate once it has warmed up.
std::string& ScratchKey() {
  thread_local std::string buffer;
  return buffer;
}

template <typename T>
const T* As(const Record& record) {
  return std::get_if<T>(&record.entity);
}

const std::string& EnvironmentOf(const Entity& entity) {
  return std::visit(
      [](const auto& e) -> const std::string& { return e.environment; },
      entity);
}

int StateRank(LookupState state) {
  switch (state) {
    case LookupState::kValid: return 3;
    case LookupState::kRefreshDue: return 2;
    case LookupState::kExpired: return 1;
    case LookupState::kNotFound: return 0;
  }
  return 0;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The access-token prefix of `key` (what AccessTokenPrefix builds: the
// partition, "at|", client "|", realm "|"), or an empty view when `key` is
// not an access-token key. Components are escaped, so a key starts with
// AccessTokenPrefix(...) exactly when this returns that prefix.
std::string_view AtPrefixOfKey(std::string_view key) {
  const std::string_view kind = RecordKindOf(key);
  if (kind != "at") return {};
  std::size_t pos =
      static_cast<std::size_t>(kind.data() - key.data()) + kind.size() + 1;
  for (int i = 0; i < 2; ++i) {
    pos = key.find('|', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  return key.substr(0, pos);
}

// One bit of a 64-bit scope summary, chosen by a hash (FNV-1a) of the
// lower-cased scope. SetContains (rules.cc) matches a stored scope equal
// to the lower-cased probe, so a stored scope and a probe it matches map
// to the same bit.
std::uint64_t ScopeBit(std::string_view scope) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : scope) {
    h ^= static_cast<unsigned char>(ToLowerAscii(c));
    h *= 1099511628211ULL;
  }
  return std::uint64_t{1} << ((h ^ (h >> 32)) & 63U);
}

std::uint64_t ScopeBits(const std::vector<std::string>& scopes) {
  std::uint64_t bits = 0;
  for (const std::string& scope : scopes) bits |= ScopeBit(scope);
  return bits;
}

// The bits of the scopes ScopesSatisfy requires a token to hold: the
// resource scopes of the request, or, when it asks for OIDC scopes only,
// those but offline_access. A token whose summary lacks one of them cannot
// satisfy the request; one that has them all is checked in full.
std::uint64_t RequiredScopeBits(const std::vector<std::string>& requested) {
  std::uint64_t resource = 0;
  std::uint64_t oidc = 0;
  bool has_resource = false;
  for (const std::string& scope : requested) {
    if (!IsOidcScope(scope)) {
      has_resource = true;
      resource |= ScopeBit(scope);
    } else if (!EqualsIgnoreCase(scope, "offline_access")) {
      oidc |= ScopeBit(scope);
    }
  }
  return has_resource ? resource : oidc;
}

// Whether an access token stored under a lookup's access-token prefix (so
// its partition, client and realm are the query's) matches the rest of
// `query`: alias group, token type, key id, extra key components and
// scopes. `token_group` is the token's environment group, `token_scopes`
// NormalizeScopes(token.target), `query_group` the query's group.
bool MatchesBeyondPrefix(const AccessToken& token, std::string_view token_group,
                         const std::vector<std::string>& token_scopes,
                         const AccessTokenQuery& query,
                         std::string_view query_group) {
  return EqualsIgnoreCase(token_group, query_group) &&
         TokenTypesEqual(token.token_type, query.token_type) &&
         EqualsIgnoreCase(token.key_id, query.key_id) &&
         ComponentsEqual(token.additional_key_components,
                         query.additional_key_components) &&
         ScopesSatisfy(token_scopes, query.scopes);
}

// Whether a match in `state` cached at `cached_at` beats the best so far
// (`best` null when none). Several matches happen only when a writer
// skipped the intersecting-scope cleanup: prefer a usable token, then the
// newest; on a tie the first in key order stays.
bool BeatsBest(LookupState state, UnixSeconds cached_at,
               const AccessToken* best, LookupState best_state) {
  return best == nullptr || StateRank(state) > StateRank(best_state) ||
         (state == best_state && cached_at > best->cached_at);
}

bool IsUsable(LookupState state) {
  return state == LookupState::kValid || state == LookupState::kRefreshDue;
}

// The scopes a token's key must name for a lookup of `scopes` to match:
// the resource scopes, or when there are none the OIDC scopes but
// offline_access (ScopesSatisfy), spelled as in the key's scope set
// (lower-cased, escaped), sorted and unique. Written into `spelled`,
// reusing its strings; returns how many there are.
std::size_t RequiredKeyScopes(const std::vector<std::string>& scopes,
                              std::vector<std::string>* spelled) {
  const bool any_resource =
      std::any_of(scopes.begin(), scopes.end(),
                  [](const std::string& s) { return !IsOidcScope(s); });
  std::size_t count = 0;
  for (const std::string& scope : scopes) {
    if (any_resource ? IsOidcScope(scope)
                     : EqualsIgnoreCase(scope, "offline_access")) {
      continue;
    }
    if (count == spelled->size()) spelled->emplace_back();
    std::string& out = (*spelled)[count++];
    out.clear();
    AppendKeyComponent(&out, scope, /*lower=*/true);
  }
  const auto first = spelled->begin();
  std::sort(first, first + static_cast<std::ptrdiff_t>(count));
  return static_cast<std::size_t>(
      std::unique(first, first + static_cast<std::ptrdiff_t>(count)) - first);
}

// Whether the access-token key `key` names every scope of [begin, end).
// The scope set is the key's last component: "|" inside components is
// escaped, and so is a space inside a scope.
bool KeyNamesScopes(std::string_view key,
                    std::vector<std::string>::const_iterator begin,
                    std::vector<std::string>::const_iterator end) {
  const std::size_t bar = key.rfind('|');
  if (bar == std::string_view::npos) return false;
  const std::string_view set = key.substr(bar + 1);
  for (auto it = begin; it != end; ++it) {
    const std::string& scope = *it;
    bool present = false;
    for (std::size_t pos = 0; pos <= set.size();) {
      std::size_t stop = set.find(' ', pos);
      if (stop == std::string_view::npos) stop = set.size();
      if (set.substr(pos, stop - pos) == scope) {
        present = true;
        break;
      }
      pos = stop + 1;
    }
    if (!present) return false;
  }
  return true;
}

// Whether `incoming` should replace `existing` of the same identity.
bool IncomingWins(const Entity& incoming, const Entity& existing) {
  if (const auto* in = std::get_if<AccessToken>(&incoming)) {
    return in->cached_at >= std::get<AccessToken>(existing).cached_at;
  }
  if (const auto* in = std::get_if<RefreshToken>(&incoming)) {
    return in->last_modification_time >=
           std::get<RefreshToken>(existing).last_modification_time;
  }
  return true;
}

ExtraFields& ExtrasOf(Entity& entity) {
  return std::visit([](auto& e) -> ExtraFields& { return e.extra; }, entity);
}

const ExtraFields& ExtrasOf(const Entity& entity) {
  return std::visit(
      [](const auto& e) -> const ExtraFields& { return e.extra; }, entity);
}

// Tenant profiles are a set keyed by tenant id: keep the winner's, add the
// loser's other tenants.
void MergeTenantProfiles(Account* into, const Account& from) {
  for (const TenantProfile& profile : from.tenant_profiles) {
    const bool known = std::any_of(
        into->tenant_profiles.begin(), into->tenant_profiles.end(),
        [&](const TenantProfile& p) {
          return EqualsIgnoreCase(p.tenant_id, profile.tenant_id);
        });
    if (!known) into->tenant_profiles.push_back(profile);
  }
}

}  // namespace

void MergeExtras(ExtraFields* into, const ExtraFields& from) {
  for (const ExtraField& field : from) {
    const bool present =
        std::any_of(into->begin(), into->end(), [&](const ExtraField& f) {
          return f.name == field.name;
        });
    if (!present) into->push_back(field);
  }
}

std::uint64_t RecordVisitsOnThisThread() { return record_visits; }

std::string SectionKey(std::string_view name) {
  std::string key(kSectionKeyPrefix);
  AppendKeyComponent(&key, name, /*lower=*/false);
  return key;
}

std::optional<std::string> SectionNameOf(std::string_view key) {
  if (!StartsWith(key, kSectionKeyPrefix)) return std::nullopt;
  return UnescapeKeyComponent(key.substr(kSectionKeyPrefix.size()));
}

std::string RecordKeyOf(const Entity& entity) {
  return std::visit([](const auto& e) { return RecordKey(e); }, entity);
}

Record MakeRecord(Entity entity) {
  Record record;
  record.env_group = EnvironmentGroupKey(EnvironmentOf(entity));
  if (const auto* at = std::get_if<AccessToken>(&entity)) {
    record.scopes = NormalizeScopes(at->target);
  }
  record.entity = std::move(entity);
  return record;
}

// ---------------------------------------------------------------- scans

void CacheState::ScanPrefix(
    std::string_view prefix,
    const std::function<bool(std::string_view, const Record&)>& fn) const {
  Need(prefix);
  for (auto it = records_.lower_bound(prefix);
       it != records_.end() && StartsWith(it->first, prefix); ++it) {
    ++record_visits;
    if (!fn(it->first, it->second)) return;
  }
}

const Record* CacheState::Find(std::string_view key) const {
  Need(key);
  return Peek(key);
}

const Record* CacheState::Peek(std::string_view key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

bool CacheState::Covered(std::string_view prefix) const {
  if (loaded_all_) return true;
  if (loaded_.empty()) return false;
  if (loaded_.find(prefix) != loaded_.end()) return true;
  // A loaded prefix that ends at a component boundary covers everything
  // below it; the core only asks for such prefixes and whole keys.
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] == '|' &&
        loaded_.find(prefix.substr(0, i + 1)) != loaded_.end()) {
      return true;
    }
  }
  return false;
}

bool CacheState::LoadFromSource(std::string_view prefix,
                                RecordSource::Filter filter,
                                const RecordSource::KeyFilter& accept,
                                ExtraFields* sections) const {
  std::vector<std::pair<std::string, Entity>> found;
  Status s = source_->Load(prefix, filter, accept, &found, sections);
  if (!s.ok()) {
    if (source_status_.ok()) source_status_ = std::move(s);
    return false;
  }
  for (auto& [key, entity] : found) {
    // What is in memory is either the same stored record, loaded before,
    // or this transaction's own change (touched_), which must win. A key
    // erased by this transaction is in touched_ too and stays erased.
    if (!touched_.empty() && touched_.count(key) != 0) continue;
    // One descent of records_ finds both whether the key is there and
    // where it goes: at 20k loaded records its nodes are cache misses.
    const auto at = records_.lower_bound(key);
    if (at != records_.end() && at->first == key) continue;
    InsertAbsent(at, std::move(key), MakeRecord(std::move(entity)));
  }
  return true;
}

void CacheState::Need(std::string_view prefix,
                      RecordSource::Filter filter) const {
  if (source_ == nullptr) return;
  const bool accounts = filter == RecordSource::Filter::kAccounts;
  if (accounts ? (loaded_all_ || loaded_accounts_) : Covered(prefix)) return;
  ExtraFields sections;
  if (!LoadFromSource(prefix, filter, RecordSource::KeyFilter(), &sections)) {
    return;
  }
  for (ExtraField& section : sections) {
    const bool known = std::any_of(
        unknown_sections_.begin(), unknown_sections_.end(),
        [&](const ExtraField& f) { return f.name == section.name; });
    if (!known) unknown_sections_.push_back(std::move(section));
  }
  if (accounts) {
    loaded_accounts_ = true;
  } else if (prefix.empty()) {
    loaded_all_ = true;
  } else {
    loaded_.emplace(prefix);
  }
}

CacheState::AtSource CacheState::NeedAccessTokens(
    std::string_view prefix, const std::vector<std::string>& scopes,
    RecordSource::KeyFilter* accept) const {
  if (source_ == nullptr || Covered(prefix)) return AtSource::kMemory;
  // Built in per-thread buffers: a warm lookup finds its memo without
  // allocating. The filter below refers to `spelled`, which stays as it is
  // until this thread's next lookup.
  thread_local std::vector<std::string> spelled;
  const std::size_t count = RequiredKeyScopes(scopes, &spelled);
  if (count == 0) {
    Need(prefix);
    return AtSource::kMemory;
  }
  const std::vector<std::string>::const_iterator required_begin =
      spelled.begin();
  const std::vector<std::string>::const_iterator required_end =
      required_begin + static_cast<std::ptrdiff_t>(count);
  // The memo of this lookup: prefix, NUL, the required scopes each
  // followed by a space.
  thread_local std::string lookup;
  lookup.assign(prefix);
  lookup.push_back('\0');
  for (auto it = required_begin; it != required_end; ++it) {
    lookup += *it;
    lookup.push_back(' ');
  }
  if (loaded_lookups_.find(lookup) != loaded_lookups_.end()) {
    return AtSource::kMemory;
  }
  *accept = [required_begin, required_end](std::string_view key) {
    return KeyNamesScopes(key, required_begin, required_end);
  };
  if (!journaling_ && FirstSighting(lookup)) return AtSource::kSource;
  ExtraFields sections;  // none: a filtered load skips sections
  if (LoadFromSource(prefix, RecordSource::Filter::kAll, *accept,
                     &sections)) {
    loaded_lookups_.insert(lookup);
  }
  return AtSource::kMemory;
}

bool CacheState::FirstSighting(std::string_view lookup) const {
  static_assert((kSightingSlots & (kSightingSlots - 1)) == 0,
                "kSightingSlots must be a power of two");
  if (sightings_.empty()) sightings_.resize(kSightingSlots);
  // Every slot of the current epoch was written in it and is counted, so
  // the table is at most three quarters full and the probe below ends at
  // an empty slot.
  if (sighting_count_ >= kMaxSightings) NewSightingEpoch();
  const std::size_t hash = std::hash<std::string_view>()(lookup);
  // The tag from other bits than the slot, even where size_t has 32.
  const auto tag = static_cast<std::uint32_t>(
      (std::uint64_t{hash} * 0x9E3779B97F4A7C15ULL) >> 32);
  for (std::size_t i = hash & (kSightingSlots - 1);;
       i = (i + 1) & (kSightingSlots - 1)) {
    Sighting& slot = sightings_[i];
    if (slot.epoch != epoch_) {
      slot.tag = tag;
      slot.epoch = epoch_;
      ++sighting_count_;
      return true;
    }
    if (slot.tag == tag) return false;
  }
}

void CacheState::NewSightingEpoch() const {
  // Epoch 0 marks a slot never written. When the counter wraps, slots
  // from 2^32 epochs ago would read as filled but not be counted, and
  // could fill the table: empty it for real.
  if (++epoch_ == 0) {
    std::fill(sightings_.begin(), sightings_.end(), Sighting());
    epoch_ = 1;
  }
  sighting_count_ = 0;
}

void CacheState::ResetPartial() {
  records_.clear();
  account_keys_.clear();
  at_index_.clear();
  unknown_sections_.clear();
  loaded_.clear();
  loaded_lookups_.clear();
  NewSightingEpoch();
  loaded_all_ = false;
  loaded_accounts_ = false;
  touched_.clear();
  journal_.clear();
  journal_sections_.reset();
  journaling_ = false;
  changed_ = false;
}

Status CacheState::TakeSourceStatus() {
  Status s = std::move(source_status_);
  source_status_ = Status();
  return s;
}

AccessTokenLookup CacheState::FindAccessToken(
    const AccessTokenQuery& query, UnixSeconds now,
    std::chrono::seconds buffer) const {
  AccessTokenLookup result;
  std::string& prefix = ScratchKey();
  AccessTokenPrefix(&prefix, query.home_account_id, query.client_id,
                    query.realm, query.user_assertion_hash);
  RecordSource::KeyFilter accept;
  if (NeedAccessTokens(prefix, query.scopes, &accept) == AtSource::kSource) {
    return FindAccessTokenInSource(prefix, accept, query, now, buffer);
  }
  const auto slots = at_index_.find(prefix);
  if (slots == at_index_.end()) return result;
  const std::string_view group = EnvironmentGroupView(query.environment);
  const std::uint64_t required = RequiredScopeBits(query.scopes);

  const AccessToken* best = nullptr;
  LookupState best_state = LookupState::kNotFound;
  // The slots are the records a prefix scan would visit, in key order, so
  // ties resolve as they would in a scan.
  for (const AtSlot& slot : slots->second) {
    ++record_visits;
    const AccessToken* token = slot.token;
    if ((required & ~slot.scope_bits) != 0 || token == nullptr) continue;
    const Record& record = slot.it->second;
    if (!MatchesBeyondPrefix(*token, record.env_group, record.scopes, query,
                             group)) {
      continue;
    }
    ++result.match_count;
    const LookupState state = AccessTokenState(*token, now, buffer);
    if (BeatsBest(state, token->cached_at, best, best_state)) {
      best = token;
      best_state = state;
    }
  }
  result.state = best_state;
  if (IsUsable(best_state)) result.token = *best;
  return result;
}

AccessTokenLookup CacheState::FindAccessTokenInSource(
    std::string_view prefix, const RecordSource::KeyFilter& accept,
    const AccessTokenQuery& query, UnixSeconds now,
    std::chrono::seconds buffer) const {
  AccessTokenLookup result;
  const std::string_view group = EnvironmentGroupView(query.environment);
  // The best match so far lives in result.token; the others are dropped
  // (and wiped) as the source moves on.
  LookupState best_state = LookupState::kNotFound;
  thread_local std::vector<std::string> token_scopes;
  // The best match's key. The memory path keeps the first of equal
  // matches in key order; a store may pass records in another order (LMDB
  // orders keys past its key size by a digest), so equal ones are told
  // apart by key here.
  thread_local std::string best_key;
  Status s = source_->Visit(
      prefix, accept, [&](std::string_view key, Entity& entity) {
        ++record_visits;
        AccessToken* token = std::get_if<AccessToken>(&entity);
        if (token == nullptr) return true;
        NormalizeScopesInto(token->target, &token_scopes);
        const std::string_view token_group =
            EnvironmentGroupView(token->environment);
        if (!MatchesBeyondPrefix(*token, token_group, token_scopes, query,
                                 group)) {
          return true;
        }
        ++result.match_count;
        const LookupState state = AccessTokenState(*token, now, buffer);
        const AccessToken* best =
            result.token.has_value() ? &*result.token : nullptr;
        const bool equal = best != nullptr && state == best_state &&
                           token->cached_at == best->cached_at;
        if (equal ? key < best_key
                  : BeatsBest(state, token->cached_at, best, best_state)) {
          result.token = std::move(*token);
          best_state = state;
          best_key.assign(key);
        }
        return true;
      });
  if (!s.ok()) {
    if (source_status_.ok()) source_status_ = std::move(s);
    return AccessTokenLookup();
  }
  result.state = best_state;
  if (!IsUsable(best_state)) result.token.reset();
  return result;
}

FociMembership CacheState::Membership(std::string_view client_id,
                                      std::string_view environment) const {
  std::string& prefix = ScratchKey();
  prefix = "m|am|";
  AppendKeyComponent(&prefix, client_id, /*lower=*/true);
  prefix.push_back('|');
  Need(prefix);
  const std::string_view group = EnvironmentGroupView(environment);
  FociMembership membership = FociMembership::kUnknown;
  for (auto it = records_.lower_bound(std::string_view(prefix));
       it != records_.end() && StartsWith(it->first, prefix); ++it) {
    ++record_visits;
    const AppMetadata* metadata = As<AppMetadata>(it->second);
    if (metadata == nullptr ||
        !EqualsIgnoreCase(it->second.env_group, group)) {
      continue;
    }
    if (!metadata->family_id.empty()) return FociMembership::kMember;
    membership = FociMembership::kNotMember;
  }
  return membership;
}

RefreshTokenLookup CacheState::FindRefreshToken(
    const RefreshTokenQuery& query) const {
  RefreshTokenLookup result;
  std::string& prefix = ScratchKey();
  prefix.clear();
  AppendPartition(&prefix, query.home_account_id, query.client_id,
                  /*realm=*/{}, query.user_assertion_hash);
  prefix.append("rt|");
  Need(prefix);
  const std::string_view group = EnvironmentGroupView(query.environment);
  const RefreshToken* app = nullptr;
  const RefreshToken* family = nullptr;
  // Among equals (several aliases written by other libraries), the most
  // recently modified wins, as PY tries newest first.
  auto newer = [](const RefreshToken* current, const RefreshToken& candidate) {
    return current == nullptr ||
           candidate.last_modification_time > current->last_modification_time;
  };
  for (auto it = records_.lower_bound(std::string_view(prefix));
       it != records_.end() && StartsWith(it->first, prefix); ++it) {
    ++record_visits;
    const RefreshToken* token = As<RefreshToken>(it->second);
    if (token == nullptr || !EqualsIgnoreCase(it->second.env_group, group)) {
      continue;
    }
    if (token->family_id.empty()) {
      if (EqualsIgnoreCase(token->client_id, query.client_id) &&
          newer(app, *token)) {
        app = token;
      }
    } else if (token->family_id == "1" && newer(family, *token)) {
      family = token;
    }
  }
  if (app != nullptr) result.app_token = *app;
  if (family != nullptr) result.family_token = *family;
  result.membership = Membership(query.client_id, query.environment);
  return result;
}

std::optional<IdToken> CacheState::FindIdToken(
    const IdTokenQuery& query) const {
  std::string& prefix = ScratchKey();
  prefix.clear();
  AppendPartition(&prefix, query.home_account_id, query.client_id,
                  query.realm, /*user_assertion_hash=*/{});
  prefix.append("id|");
  AppendKeyComponent(&prefix, query.client_id, /*lower=*/true);
  prefix.push_back('|');
  if (!query.realm.empty()) {
    AppendKeyComponent(&prefix, query.realm, /*lower=*/true);
    prefix.push_back('|');
  }
  Need(prefix);
  const std::string_view group = EnvironmentGroupView(query.environment);
  const std::string_view home_tenant = HomeTenantOf(query.home_account_id);
  const IdToken* best = nullptr;
  for (auto it = records_.lower_bound(std::string_view(prefix));
       it != records_.end() && StartsWith(it->first, prefix); ++it) {
    ++record_visits;
    const IdToken* token = As<IdToken>(it->second);
    if (token == nullptr || !EqualsIgnoreCase(it->second.env_group, group)) {
      continue;
    }
    if (best == nullptr) best = token;
    if (query.realm.empty() && EqualsIgnoreCase(token->realm, home_tenant)) {
      best = token;
      break;
    }
    if (!query.realm.empty()) break;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::vector<Account> CacheState::GetAccounts(
    const AccountFilter& filter) const {
  std::vector<Account> out;
  auto consider = [&](const Record& record) {
    const Account* account = As<Account>(record);
    if (account == nullptr) return;
    if (!filter.home_account_id.empty() &&
        !EqualsIgnoreCase(account->home_account_id, filter.home_account_id)) {
      return;
    }
    if (!filter.environment.empty() &&
        !EqualsIgnoreCase(record.env_group,
                          EnvironmentGroupView(filter.environment))) {
      return;
    }
    if (!filter.realm.empty() &&
        !EqualsIgnoreCase(account->realm, filter.realm)) {
      return;
    }
    if (!filter.username.empty() &&
        !EqualsIgnoreCase(account->username, filter.username)) {
      return;
    }
    if (!filter.with_refresh_token_for_client.empty()) {
      RefreshTokenQuery rt_query;
      rt_query.home_account_id = account->home_account_id;
      rt_query.environment = account->environment;
      rt_query.client_id = filter.with_refresh_token_for_client;
      const RefreshTokenLookup rts = FindRefreshToken(rt_query);
      if (!rts.app_token.has_value() && !rts.family_token.has_value()) return;
    }
    out.push_back(*account);
  };
  if (!filter.home_account_id.empty()) {
    Need(AccountPartitionPrefix(filter.home_account_id));
  } else {
    Need({}, RecordSource::Filter::kAccounts);
  }
  for (const std::string& key : account_keys_) {
    ++record_visits;
    const Record* record = Find(key);
    if (record != nullptr) consider(*record);
  }
  return out;
}

CacheSnapshot CacheState::Export() const {
  Need({});
  CacheSnapshot snapshot;
  for (const auto& [key, record] : records_) {
    std::visit(
        [&snapshot](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, AccessToken>) {
            snapshot.access_tokens.push_back(e);
          } else if constexpr (std::is_same_v<T, RefreshToken>) {
            snapshot.refresh_tokens.push_back(e);
          } else if constexpr (std::is_same_v<T, IdToken>) {
            snapshot.id_tokens.push_back(e);
          } else if constexpr (std::is_same_v<T, Account>) {
            snapshot.accounts.push_back(e);
          } else {
            snapshot.app_metadata.push_back(e);
          }
        },
        record.entity);
  }
  snapshot.unknown_sections = unknown_sections_;
  return snapshot;
}

// ------------------------------------------------------------ mutations

void CacheState::Remember(const std::string& key) {
  changed_ = true;
  if (source_ != nullptr) touched_.insert(key);
  if (!journaling_) return;
  const Record* old = Find(key);
  journal_.emplace_back(key, old == nullptr ? std::nullopt
                                            : std::optional<Record>(*old));
}

CacheState::Map::iterator CacheState::Insert(std::string key,
                                             Record record) const {
  auto it = records_.find(key);
  if (it != records_.end()) {
    IndexRemove(it);
    it->second = std::move(record);
  } else {
    it = records_.emplace(std::move(key), std::move(record)).first;
  }
  if (std::holds_alternative<Account>(it->second.entity)) {
    account_keys_.insert(it->first);
  } else {
    auto account = account_keys_.find(it->first);
    if (account != account_keys_.end()) account_keys_.erase(account);
  }
  IndexAdd(it);
  return it;
}

CacheState::Map::iterator CacheState::InsertAbsent(Map::iterator hint,
                                                   std::string key,
                                                   Record record) const {
  const auto it = records_.emplace_hint(hint, std::move(key),
                                        std::move(record));
  // A key new to records_ is in no index yet.
  if (std::holds_alternative<Account>(it->second.entity)) {
    account_keys_.insert(it->first);
  }
  IndexAdd(it);
  return it;
}

void CacheState::Drop(Map::iterator it) const {
  auto account = account_keys_.find(it->first);
  if (account != account_keys_.end()) account_keys_.erase(account);
  IndexRemove(it);
  records_.erase(it);
}

void CacheState::IndexAdd(Map::iterator it) const {
  const std::string_view prefix = AtPrefixOfKey(it->first);
  if (prefix.empty()) return;
  std::vector<AtSlot>& slots = at_index_[std::string(prefix)];
  const auto pos = std::lower_bound(
      slots.begin(), slots.end(), it->first,
      [](const AtSlot& slot, const std::string& key) {
        return slot.it->first < key;
      });
  slots.insert(pos, AtSlot{it, As<AccessToken>(it->second),
                           ScopeBits(it->second.scopes)});
}

void CacheState::IndexRemove(Map::iterator it) const {
  const std::string_view prefix = AtPrefixOfKey(it->first);
  if (prefix.empty()) return;
  auto entry = at_index_.find(std::string(prefix));
  if (entry == at_index_.end()) return;
  std::vector<AtSlot>& slots = entry->second;
  slots.erase(std::remove_if(slots.begin(), slots.end(),
                             [&](const AtSlot& slot) { return slot.it == it; }),
              slots.end());
  if (slots.empty()) at_index_.erase(entry);
}

void CacheState::Put(std::string key, Record record) {
  Remember(key);
  Insert(std::move(key), std::move(record));
}

void CacheState::Erase(std::string_view key) {
  Need(key);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  Remember(it->first);
  Drop(it);
}

void CacheState::Upsert(Entity entity) {
  std::string key = RecordKeyOf(entity);
  if (const Record* old = Find(key)) {
    MergeExtras(&ExtrasOf(entity), ExtrasOf(old->entity));
    if (auto* account = std::get_if<Account>(&entity)) {
      MergeTenantProfiles(account, std::get<Account>(old->entity));
    }
  }
  Put(std::move(key), MakeRecord(std::move(entity)));
}

void CacheState::MergeIncoming(Entity incoming) {
  std::string key = RecordKeyOf(incoming);
  const Record* old = Find(key);
  if (old == nullptr) {
    Put(std::move(key), MakeRecord(std::move(incoming)));
    return;
  }
  Entity winner = incoming;
  Entity loser = old->entity;
  if (!IncomingWins(incoming, old->entity)) std::swap(winner, loser);
  MergeExtras(&ExtrasOf(winner), ExtrasOf(loser));
  if (auto* account = std::get_if<Account>(&winner)) {
    MergeTenantProfiles(account, std::get<Account>(loser));
  }
  Put(std::move(key), MakeRecord(std::move(winner)));
}

void CacheState::Import(const CacheSnapshot& snapshot) {
  for (const Account& e : snapshot.accounts) MergeIncoming(e);
  for (const AccessToken& e : snapshot.access_tokens) MergeIncoming(e);
  for (const RefreshToken& e : snapshot.refresh_tokens) MergeIncoming(e);
  for (const IdToken& e : snapshot.id_tokens) MergeIncoming(e);
  for (const AppMetadata& e : snapshot.app_metadata) MergeIncoming(e);
  ImportSections(snapshot);
}

void CacheState::Import(CacheSnapshot&& snapshot) {
  for (Account& e : snapshot.accounts) MergeIncoming(std::move(e));
  for (AccessToken& e : snapshot.access_tokens) MergeIncoming(std::move(e));
  for (RefreshToken& e : snapshot.refresh_tokens) MergeIncoming(std::move(e));
  for (IdToken& e : snapshot.id_tokens) MergeIncoming(std::move(e));
  for (AppMetadata& e : snapshot.app_metadata) MergeIncoming(std::move(e));
  ImportSections(snapshot);
}

void CacheState::ImportSections(const CacheSnapshot& snapshot) {
  if (snapshot.unknown_sections.empty()) return;
  Need(kSectionKeyPrefix);
  changed_ = true;
  if (journaling_ && !journal_sections_.has_value()) {
    journal_sections_ = unknown_sections_;
  }
  for (const ExtraField& section : snapshot.unknown_sections) {
    auto it = std::find_if(
        unknown_sections_.begin(), unknown_sections_.end(),
        [&](const ExtraField& f) { return f.name == section.name; });
    if (it == unknown_sections_.end()) {
      unknown_sections_.push_back(section);
    } else {
      it->json_value = section.json_value;
    }
  }
}

std::size_t CacheState::RemoveAccount(std::string_view home_account_id) {
  if (home_account_id.empty()) return 0;
  std::vector<std::string> doomed;
  const std::string prefix = AccountPartitionPrefix(home_account_id);
  Need(prefix);
  Need("o|");
  for (auto it = records_.lower_bound(std::string_view(prefix));
       it != records_.end() && StartsWith(it->first, prefix); ++it) {
    doomed.push_back(it->first);
  }
  // On-behalf-of tokens live in the assertion's partition but may name
  // the user; they belong to the account too.
  for (auto it = records_.lower_bound(std::string_view("o|"));
       it != records_.end() && StartsWith(it->first, "o|"); ++it) {
    const std::string& home = std::visit(
        [](const auto& e) -> const std::string& {
          if constexpr (std::is_same_v<std::decay_t<decltype(e)>,
                                       AppMetadata>) {
            static const std::string kNone;
            return kNone;
          } else {
            return e.home_account_id;
          }
        },
        it->second.entity);
    if (EqualsIgnoreCase(home, home_account_id)) doomed.push_back(it->first);
  }
  for (const std::string& key : doomed) Erase(key);
  return doomed.size();
}

bool CacheState::RemoveRefreshToken(const RefreshToken& token) {
  const std::string key = RecordKey(token);
  if (Find(key) == nullptr) return false;
  Erase(key);
  return true;
}

std::size_t CacheState::PurgeExpiredAccessTokens(UnixSeconds now,
                                                  std::chrono::seconds buffer) {
  // Expiry is a property of each token, not of a partition, so every
  // record has to be looked at.
  Need({});
  std::vector<std::string> doomed;
  for (const auto& [key, record] : records_) {
    const AccessToken* token = As<AccessToken>(record);
    if (token != nullptr &&
        AccessTokenState(*token, now, buffer) == LookupState::kExpired) {
      doomed.push_back(key);
    }
  }
  for (const std::string& key : doomed) Erase(key);
  return doomed.size();
}

// -------------------------------------------------------------- journal

void CacheState::BeginJournal() {
  journaling_ = true;
  changed_ = false;
  touched_.clear();
  journal_.clear();
  journal_sections_.reset();
}

void CacheState::CommitJournal() {
  journaling_ = false;
  touched_.clear();
  journal_.clear();
  journal_sections_.reset();
}

void CacheState::RollbackJournal() {
  journaling_ = false;
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
    if (it->second.has_value()) {
      Insert(it->first, std::move(*it->second));
    } else {
      auto record = records_.find(it->first);
      if (record != records_.end()) Drop(record);
    }
  }
  if (journal_sections_.has_value()) {
    unknown_sections_ = std::move(*journal_sections_);
  }
  journal_.clear();
  journal_sections_.reset();
  touched_.clear();
  changed_ = false;
}

}  // namespace internal
}  // namespace tokencache
