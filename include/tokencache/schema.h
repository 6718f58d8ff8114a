// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL unified token cache schema as plain C++ values: Account,
// AccessToken, RefreshToken, IdToken and AppMetadata, and CacheSnapshot, the
// whole cache as one value. Field meanings follow msal-cache-rules.md §1;
// each field's comment names its MSAL JSON spelling.
//
// These types know nothing about JSON, files or locks. Serializers turn them
// into bytes and back (serializer.h); the core indexes and queries them
// (cache.h).
//
// Conventions:
//  - An empty string means "absent". Timestamps are seconds since the Unix
//    epoch; 0 means absent (MSAL readers treat a missing expires_on as 0,
//    that is, expired).
//  - Token text lives in SecretBytes, which cannot be printed.
//  - Fields that tokencache does not model are kept in `extra`, in the order
//    they were read, so that data written by newer SDKs survives a round trip.
//
// Plain values: copy and move freely; no internal synchronization.

#ifndef TOKENCACHE_SCHEMA_H_
#define TOKENCACHE_SCHEMA_H_

#include <string>
#include <utility>
#include <vector>

#include "tokencache/clock.h"
#include "tokencache/secret.h"

namespace tokencache {

// A field that tokencache does not model. `json_value` is the value's text in
// JSON, the interchange form for unknown data whatever the serializer: the
// MSAL JSON serializer keeps it verbatim (re-encoded, whitespace-free), the
// binary serializer stores it as an opaque string. It may hold secrets and is
// never printed.
struct ExtraField {
  std::string name;
  std::string json_value;

  friend bool operator==(const ExtraField& a, const ExtraField& b) {
    return a.name == b.name && a.json_value == b.json_value;
  }
};
using ExtraFields = std::vector<ExtraField>;

// String-to-string pairs kept sorted by key (no duplicate keys).
using StringPairs = std::vector<std::pair<std::string, std::string>>;

// One tenant in which a home account has signed in; msal-node keeps these
// in Account.tenantProfiles as JSON-encoded strings.
struct TenantProfile {
  std::string tenant_id;         // tenantId
  std::string local_account_id;  // localAccountId
  std::string name;              // name
  std::string username;          // username
  std::string login_hint;        // loginHint
  std::string upn;               // upn
  bool is_home_tenant = false;   // isHomeTenant
  std::string native_account_id;  // nativeAccountId
  ExtraFields extra;
};

struct Account {
  std::string home_account_id;   // home_account_id: "<uid>.<utid>" or sub
  std::string environment;       // environment: authority host
  std::string realm;             // realm: tenant of this record
  std::string local_account_id;  // local_account_id: oid (or sub)
  std::string username;          // username: preferred_username or upn
  std::string authority_type;    // authority_type: "MSSTS", "ADFS", ...
  std::string client_info;       // client_info: raw base64url JSON
  std::string name;              // name
  std::string given_name;        // given_name (NET)
  std::string family_name;       // family_name (NET)
  std::string account_source;    // account_source (PY, NET)
  StringPairs wam_account_ids;   // wam_account_ids (NET): client id -> id
  UnixSeconds last_modification_time = 0;  // last_modification_time
  std::string last_modification_app;       // last_modification_app
  std::vector<TenantProfile> tenant_profiles;  // tenantProfiles (msal-node)
  ExtraFields extra;
};

struct AccessToken {
  std::string home_account_id;  // home_account_id; empty for app-only tokens
  std::string environment;      // environment
  std::string client_id;        // client_id
  std::string realm;            // realm: tenant the token was issued for
  std::string target;           // target: space-separated scopes, as granted
  SecretBytes secret;           // secret: the access token
  UnixSeconds cached_at = 0;            // cached_at
  UnixSeconds expires_on = 0;           // expires_on
  UnixSeconds extended_expires_on = 0;  // extended_expires_on (ext_expires_on)
  UnixSeconds refresh_on = 0;           // refresh_on
  std::string token_type;    // token_type: empty means "Bearer"
  std::string key_id;        // kid (NET) / key_id (PY, JS) / keyid (GO)
  std::string user_assertion_hash;  // user_assertion_hash / userAssertionHash
  // Extra cache-key components (NET `ext`, msal-node
  // `additionalCacheKeyComponents`): part of the token's identity.
  StringPairs additional_key_components;
  std::string resource;      // resource (msal-node 7)
  std::string client_info;   // client_info (NET)
  ExtraFields extra;
};

struct RefreshToken {
  std::string home_account_id;  // home_account_id
  std::string environment;      // environment
  std::string client_id;        // client_id: app that received it
  SecretBytes secret;           // secret: the refresh token
  std::string family_id;        // family_id: non-empty for a FOCI family RT
  std::string target;           // target (PY): scopes it was obtained with
  std::string realm;            // realm (msal-node declares it; rarely set)
  UnixSeconds last_modification_time = 0;  // last_modification_time (PY)
  UnixSeconds expires_on = 0;   // expires_on (rare; from refresh_token_expires_in)
  std::string client_info;      // client_info (NET)
  std::string user_assertion_hash;  // user_assertion_hash (NET OBO)
  ExtraFields extra;
};

struct IdToken {
  std::string home_account_id;  // home_account_id
  std::string environment;      // environment
  std::string client_id;        // client_id
  std::string realm;            // realm: tenant of the ID token
  SecretBytes secret;           // secret: the raw JWT
  std::string client_info;      // client_info (NET)
  ExtraFields extra;
};

struct AppMetadata {
  std::string client_id;    // client_id
  std::string environment;  // environment
  std::string family_id;    // family_id: "1" for FOCI members, else empty
  ExtraFields extra;
};

// A whole cache as one value: what a snapshot serializer reads and writes.
// Order within each vector carries no meaning.
struct CacheSnapshot {
  std::vector<Account> accounts;
  std::vector<AccessToken> access_tokens;
  std::vector<RefreshToken> refresh_tokens;
  std::vector<IdToken> id_tokens;
  std::vector<AppMetadata> app_metadata;
  // Top-level members other than the five sections, in read order.
  ExtraFields unknown_sections;
};

}  // namespace tokencache

#endif  // TOKENCACHE_SCHEMA_H_
