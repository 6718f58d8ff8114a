// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// SnapshotDiff: field-by-field comparison of two CacheSnapshots, for
// serializer round-trip checks in tests and in the fuzz oracle. It reports
// where the first difference is ("access_tokens[2].secret"), never the
// values, so that a failing check cannot print token text.

#ifndef TOKENCACHE_TESTS_SERIALIZERS_SNAPSHOT_EQUALITY_H_
#define TOKENCACHE_TESTS_SERIALIZERS_SNAPSHOT_EQUALITY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tokencache/schema.h"

namespace tokencache {
namespace test {
namespace internal_equality {

class Differ {
 public:
  const std::string& first() const { return first_; }

  void Str(const std::string& path, const std::string& a,
           const std::string& b) {
    if (a != b) Note(path);
  }
  void Secret(const std::string& path, const SecretBytes& a,
              const SecretBytes& b) {
    if (!a.Equals(b)) Note(path);
  }
  void Int(const std::string& path, long long a, long long b) {
    if (a != b) Note(path);
  }
  void Pairs(const std::string& path, const StringPairs& a,
             const StringPairs& b) {
    if (a != b) Note(path);
  }
  void Extra(const std::string& path, const ExtraFields& a,
             const ExtraFields& b) {
    if (a.size() != b.size()) return Note(path + ".size");
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      Str(p + ".name", a[i].name, b[i].name);
      Str(p + ".json_value", a[i].json_value, b[i].json_value);
    }
  }

  template <typename T, typename Fn>
  void List(const std::string& path, const std::vector<T>& a,
            const std::vector<T>& b, Fn fn) {
    if (a.size() != b.size()) return Note(path + ".size");
    for (std::size_t i = 0; i < a.size(); ++i) {
      fn(path + "[" + std::to_string(i) + "]", a[i], b[i]);
    }
  }

 private:
  void Note(const std::string& path) {
    if (first_.empty()) first_ = path;
  }
  std::string first_;
};

}  // namespace internal_equality

// Returns "" when `a` and `b` are equal in every field, including extras and
// their order; otherwise the path of the first field that differs.
inline std::string SnapshotDiff(const CacheSnapshot& a,
                                const CacheSnapshot& b) {
  internal_equality::Differ d;
  d.List("accounts", a.accounts, b.accounts,
         [&d](const std::string& p, const Account& x, const Account& y) {
           d.Str(p + ".home_account_id", x.home_account_id,
                 y.home_account_id);
           d.Str(p + ".environment", x.environment, y.environment);
           d.Str(p + ".realm", x.realm, y.realm);
           d.Str(p + ".local_account_id", x.local_account_id,
                 y.local_account_id);
           d.Str(p + ".username", x.username, y.username);
           d.Str(p + ".authority_type", x.authority_type, y.authority_type);
           d.Str(p + ".client_info", x.client_info, y.client_info);
           d.Str(p + ".name", x.name, y.name);
           d.Str(p + ".given_name", x.given_name, y.given_name);
           d.Str(p + ".family_name", x.family_name, y.family_name);
           d.Str(p + ".account_source", x.account_source, y.account_source);
           d.Pairs(p + ".wam_account_ids", x.wam_account_ids,
                   y.wam_account_ids);
           d.Int(p + ".last_modification_time", x.last_modification_time,
                 y.last_modification_time);
           d.Str(p + ".last_modification_app", x.last_modification_app,
                 y.last_modification_app);
           d.List(p + ".tenant_profiles", x.tenant_profiles,
                  y.tenant_profiles,
                  [&d](const std::string& q, const TenantProfile& s,
                       const TenantProfile& t) {
                    d.Str(q + ".tenant_id", s.tenant_id, t.tenant_id);
                    d.Str(q + ".local_account_id", s.local_account_id,
                          t.local_account_id);
                    d.Str(q + ".name", s.name, t.name);
                    d.Str(q + ".username", s.username, t.username);
                    d.Str(q + ".login_hint", s.login_hint, t.login_hint);
                    d.Str(q + ".upn", s.upn, t.upn);
                    d.Int(q + ".is_home_tenant", s.is_home_tenant,
                          t.is_home_tenant);
                    d.Str(q + ".native_account_id", s.native_account_id,
                          t.native_account_id);
                    d.Extra(q + ".extra", s.extra, t.extra);
                  });
           d.Extra(p + ".extra", x.extra, y.extra);
         });
  d.List("access_tokens", a.access_tokens, b.access_tokens,
         [&d](const std::string& p, const AccessToken& x,
              const AccessToken& y) {
           d.Str(p + ".home_account_id", x.home_account_id,
                 y.home_account_id);
           d.Str(p + ".environment", x.environment, y.environment);
           d.Str(p + ".client_id", x.client_id, y.client_id);
           d.Str(p + ".realm", x.realm, y.realm);
           d.Str(p + ".target", x.target, y.target);
           d.Secret(p + ".secret", x.secret, y.secret);
           d.Int(p + ".cached_at", x.cached_at, y.cached_at);
           d.Int(p + ".expires_on", x.expires_on, y.expires_on);
           d.Int(p + ".extended_expires_on", x.extended_expires_on,
                 y.extended_expires_on);
           d.Int(p + ".refresh_on", x.refresh_on, y.refresh_on);
           d.Str(p + ".token_type", x.token_type, y.token_type);
           d.Str(p + ".key_id", x.key_id, y.key_id);
           d.Str(p + ".user_assertion_hash", x.user_assertion_hash,
                 y.user_assertion_hash);
           d.Pairs(p + ".additional_key_components",
                   x.additional_key_components, y.additional_key_components);
           d.Str(p + ".resource", x.resource, y.resource);
           d.Str(p + ".client_info", x.client_info, y.client_info);
           d.Extra(p + ".extra", x.extra, y.extra);
         });
  d.List("refresh_tokens", a.refresh_tokens, b.refresh_tokens,
         [&d](const std::string& p, const RefreshToken& x,
              const RefreshToken& y) {
           d.Str(p + ".home_account_id", x.home_account_id,
                 y.home_account_id);
           d.Str(p + ".environment", x.environment, y.environment);
           d.Str(p + ".client_id", x.client_id, y.client_id);
           d.Secret(p + ".secret", x.secret, y.secret);
           d.Str(p + ".family_id", x.family_id, y.family_id);
           d.Str(p + ".target", x.target, y.target);
           d.Str(p + ".realm", x.realm, y.realm);
           d.Int(p + ".last_modification_time", x.last_modification_time,
                 y.last_modification_time);
           d.Int(p + ".expires_on", x.expires_on, y.expires_on);
           d.Str(p + ".client_info", x.client_info, y.client_info);
           d.Str(p + ".user_assertion_hash", x.user_assertion_hash,
                 y.user_assertion_hash);
           d.Extra(p + ".extra", x.extra, y.extra);
         });
  d.List("id_tokens", a.id_tokens, b.id_tokens,
         [&d](const std::string& p, const IdToken& x, const IdToken& y) {
           d.Str(p + ".home_account_id", x.home_account_id,
                 y.home_account_id);
           d.Str(p + ".environment", x.environment, y.environment);
           d.Str(p + ".client_id", x.client_id, y.client_id);
           d.Str(p + ".realm", x.realm, y.realm);
           d.Secret(p + ".secret", x.secret, y.secret);
           d.Str(p + ".client_info", x.client_info, y.client_info);
           d.Extra(p + ".extra", x.extra, y.extra);
         });
  d.List("app_metadata", a.app_metadata, b.app_metadata,
         [&d](const std::string& p, const AppMetadata& x,
              const AppMetadata& y) {
           d.Str(p + ".client_id", x.client_id, y.client_id);
           d.Str(p + ".environment", x.environment, y.environment);
           d.Str(p + ".family_id", x.family_id, y.family_id);
           d.Extra(p + ".extra", x.extra, y.extra);
         });
  d.Extra("unknown_sections", a.unknown_sections, b.unknown_sections);
  return d.first();
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SERIALIZERS_SNAPSHOT_EQUALITY_H_
