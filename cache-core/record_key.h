// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Record keys: the ordered key space every cache entity lives in. The
// in-memory index (cache_state.h) is a sorted map from these keys, and
// record stores (LMDB, Redis) will store one value per entity under exactly
// these keys, so the layout below is a storage format: change it only with a
// migration.
//
// A key is the identity of an entity (msal-cache-rules.md §10.2), never the
// MSAL JSON key it was read under. Two entities with equal identity have
// equal keys; different identities have different keys.
//
// Layout ("|" separates components, "||" is an empty component):
//
//   partition := "u|" H             user tokens: home account id H
//              | "o|" C "|" A       on-behalf-of tokens: client C, user
//                                   assertion hash A (whatever H says)
//              | "a|" C "|" R       app-only tokens (no H): client, tenant
//              | "m"                application metadata (no account)
//
//   AccessToken  partition "|at|" C "|" R "|" E "|" T "|" K "|" X "|" S
//   RefreshToken partition "|rt|" ("c:" C | "f:" F) "|" E
//   IdToken      partition "|id|" C "|" R "|" E
//   Account      partition "|ac|" R "|" E
//   AppMetadata  "m|am|" C "|" E
//
//   H home_account_id, C client_id, R realm, F family_id, T token type
//   ("bearer" when empty), K key id: all lower-cased (MSAL compares them
//   case-insensitively). A user assertion hash is base64 and keeps its case.
//   E is the environment's alias group (EnvironmentGroupKey: the
//   preferred_cache host of a known cloud, else the lower-cased host), so
//   aliases of one cloud share a key.
//   X is the extra key components, sorted by key, as "k=v" joined by ",",
//   case kept (empty when none). S is the scope SET: lower-cased, sorted,
//   de-duplicated scopes joined by " ".
//   A family RT is keyed by its family id, not the client that received it
//   (as MSAL .NET and Node do), so the apps of a family share one FRT.
//
// Escaping: inside a component, "%", "|", ",", "=", space, control bytes
// and DEL are written as "%XX" (upper-case hex); every other byte is kept.
// So no component contains a raw separator, a prefix ending in "|" selects
// exactly the entities whose leading components are equal (no "ab" vs "a"
// collisions), and keys are printable ASCII when the inputs are.
//
// Prefix scans the cache relies on:
//   "u|" H "|"                          everything of one account
//   "u|" H "|at|" C "|" R "|"           a silent user AT lookup
//   "a|" C "|" R "|"                    an app's tokens in one tenant
//   "u|" H "|rt|"                       an account's refresh tokens
//   "m|am|" C "|"                       an app's metadata, any cloud

#ifndef TOKENCACHE_CACHE_CORE_RECORD_KEY_H_
#define TOKENCACHE_CACHE_CORE_RECORD_KEY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/schema.h"

namespace tokencache {
namespace internal {

// Appends `component` escaped as described above, lower-cased first when
// `lower` is set. Does not append a separator.
void AppendKeyComponent(std::string* out, std::string_view component,
                        bool lower);

// Appends the partition of an entity with these fields, ending in "|".
void AppendPartition(std::string* out, std::string_view home_account_id,
                     std::string_view client_id, std::string_view realm,
                     std::string_view user_assertion_hash);

// Writes into `out` (replacing its contents) the prefix under which all
// access tokens of one (partition, client, realm) live, ending in "|".
void AccessTokenPrefix(std::string* out, std::string_view home_account_id,
                       std::string_view client_id, std::string_view realm,
                       std::string_view user_assertion_hash);

// The record key of each entity.
std::string RecordKey(const AccessToken& token);
// Writes RecordKey(token) into `out` and NormalizeScopes(token.target) into
// `scopes`, replacing their contents and reusing their capacity, so that a
// lookup checking the keys of the tokens it reads does not allocate.
void BuildRecordKey(const AccessToken& token, std::string* out,
                    std::vector<std::string>* scopes);
std::string RecordKey(const RefreshToken& token);
std::string RecordKey(const IdToken& token);
std::string RecordKey(const Account& account);
std::string RecordKey(const AppMetadata& metadata);

// "u|" H "|": everything of one user account.
std::string AccountPartitionPrefix(std::string_view home_account_id);

// Reverses AppendKeyComponent's escaping (not its lower-casing). Returns
// nullopt for a malformed escape.
std::optional<std::string> UnescapeKeyComponent(std::string_view component);

// The kind component of a record key ("at", "rt", "id", "ac", "am"), or an
// empty view when `key` does not follow the layout.
std::string_view RecordKindOf(std::string_view key);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_CORE_RECORD_KEY_H_
