// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Field-by-field comparison of schema values for tests and the fuzz oracle.
// Diff() returns "" when two values are equal, otherwise the path of the
// first field that differs (e.g. "access_tokens[3].secret"); it never
// includes field values, so a failure message cannot leak a token.
//
// Header-only and free of Catch2, so that fuzz/binary_fuzz.cc can use it.

#ifndef TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_DIFF_H_
#define TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_DIFF_H_

#include <cstddef>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "tokencache/schema.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace test {
namespace diff_internal {

// Accumulates the first difference found.
class Differ {
 public:
  const std::string& result() const { return first_; }

  template <typename T>
  void Field(const char* name, const T& a, const T& b) {
    if (first_.empty() && !(a == b)) first_ = name;
  }
  void Field(const char* name, const SecretBytes& a, const SecretBytes& b) {
    if (first_.empty() && !a.Equals(b)) first_ = name;
  }
  // A nested difference `inner` found in element `index` of `name`.
  void Nested(const std::string& name, const std::string& inner) {
    if (first_.empty() && !inner.empty()) first_ = name + "." + inner;
  }
  void Set(const std::string& what) {
    if (first_.empty()) first_ = what;
  }

 private:
  std::string first_;
};

}  // namespace diff_internal

inline std::string Diff(const TenantProfile& a, const TenantProfile& b) {
  diff_internal::Differ d;
  d.Field("tenant_id", a.tenant_id, b.tenant_id);
  d.Field("local_account_id", a.local_account_id, b.local_account_id);
  d.Field("name", a.name, b.name);
  d.Field("username", a.username, b.username);
  d.Field("login_hint", a.login_hint, b.login_hint);
  d.Field("upn", a.upn, b.upn);
  d.Field("is_home_tenant", a.is_home_tenant, b.is_home_tenant);
  d.Field("native_account_id", a.native_account_id, b.native_account_id);
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const Account& a, const Account& b) {
  diff_internal::Differ d;
  d.Field("home_account_id", a.home_account_id, b.home_account_id);
  d.Field("environment", a.environment, b.environment);
  d.Field("realm", a.realm, b.realm);
  d.Field("local_account_id", a.local_account_id, b.local_account_id);
  d.Field("username", a.username, b.username);
  d.Field("authority_type", a.authority_type, b.authority_type);
  d.Field("client_info", a.client_info, b.client_info);
  d.Field("name", a.name, b.name);
  d.Field("given_name", a.given_name, b.given_name);
  d.Field("family_name", a.family_name, b.family_name);
  d.Field("account_source", a.account_source, b.account_source);
  d.Field("wam_account_ids", a.wam_account_ids, b.wam_account_ids);
  d.Field("last_modification_time", a.last_modification_time,
          b.last_modification_time);
  d.Field("last_modification_app", a.last_modification_app,
          b.last_modification_app);
  if (a.tenant_profiles.size() != b.tenant_profiles.size()) {
    d.Set("tenant_profiles.size");
  } else {
    for (std::size_t i = 0; i < a.tenant_profiles.size(); ++i) {
      d.Nested("tenant_profiles[" + std::to_string(i) + "]",
               Diff(a.tenant_profiles[i], b.tenant_profiles[i]));
    }
  }
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const AccessToken& a, const AccessToken& b) {
  diff_internal::Differ d;
  d.Field("home_account_id", a.home_account_id, b.home_account_id);
  d.Field("environment", a.environment, b.environment);
  d.Field("client_id", a.client_id, b.client_id);
  d.Field("realm", a.realm, b.realm);
  d.Field("target", a.target, b.target);
  d.Field("secret", a.secret, b.secret);
  d.Field("cached_at", a.cached_at, b.cached_at);
  d.Field("expires_on", a.expires_on, b.expires_on);
  d.Field("extended_expires_on", a.extended_expires_on, b.extended_expires_on);
  d.Field("refresh_on", a.refresh_on, b.refresh_on);
  d.Field("token_type", a.token_type, b.token_type);
  d.Field("key_id", a.key_id, b.key_id);
  d.Field("user_assertion_hash", a.user_assertion_hash, b.user_assertion_hash);
  d.Field("additional_key_components", a.additional_key_components,
          b.additional_key_components);
  d.Field("resource", a.resource, b.resource);
  d.Field("client_info", a.client_info, b.client_info);
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const RefreshToken& a, const RefreshToken& b) {
  diff_internal::Differ d;
  d.Field("home_account_id", a.home_account_id, b.home_account_id);
  d.Field("environment", a.environment, b.environment);
  d.Field("client_id", a.client_id, b.client_id);
  d.Field("secret", a.secret, b.secret);
  d.Field("family_id", a.family_id, b.family_id);
  d.Field("target", a.target, b.target);
  d.Field("realm", a.realm, b.realm);
  d.Field("last_modification_time", a.last_modification_time,
          b.last_modification_time);
  d.Field("expires_on", a.expires_on, b.expires_on);
  d.Field("client_info", a.client_info, b.client_info);
  d.Field("user_assertion_hash", a.user_assertion_hash, b.user_assertion_hash);
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const IdToken& a, const IdToken& b) {
  diff_internal::Differ d;
  d.Field("home_account_id", a.home_account_id, b.home_account_id);
  d.Field("environment", a.environment, b.environment);
  d.Field("client_id", a.client_id, b.client_id);
  d.Field("realm", a.realm, b.realm);
  d.Field("secret", a.secret, b.secret);
  d.Field("client_info", a.client_info, b.client_info);
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const AppMetadata& a, const AppMetadata& b) {
  diff_internal::Differ d;
  d.Field("client_id", a.client_id, b.client_id);
  d.Field("environment", a.environment, b.environment);
  d.Field("family_id", a.family_id, b.family_id);
  d.Field("extra", a.extra, b.extra);
  return d.result();
}

inline std::string Diff(const AnyEntity& a, const AnyEntity& b) {
  if (a.index() != b.index()) return "kind";
  return std::visit(
      [&b](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        return Diff(x, std::get<T>(b));
      },
      a);
}

template <typename T>
std::string DiffVectors(const char* name, const std::vector<T>& a,
                        const std::vector<T>& b) {
  if (a.size() != b.size()) return std::string(name) + ".size";
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string inner = Diff(a[i], b[i]);
    if (!inner.empty()) {
      return std::string(name) + "[" + std::to_string(i) + "]." + inner;
    }
  }
  return "";
}

inline std::string Diff(const CacheSnapshot& a, const CacheSnapshot& b) {
  for (std::string d :
       {DiffVectors("accounts", a.accounts, b.accounts),
        DiffVectors("access_tokens", a.access_tokens, b.access_tokens),
        DiffVectors("refresh_tokens", a.refresh_tokens, b.refresh_tokens),
        DiffVectors("id_tokens", a.id_tokens, b.id_tokens),
        DiffVectors("app_metadata", a.app_metadata, b.app_metadata)}) {
    if (!d.empty()) return d;
  }
  if (!(a.unknown_sections == b.unknown_sections)) return "unknown_sections";
  return "";
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_DIFF_H_
