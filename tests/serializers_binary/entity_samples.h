// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Sample schema values with every field set, for the binary format's tests,
// its fuzz seeds and its fuzz replay. Secrets are canaries: strings that
// must never show up in an error message.
//
// Header-only and free of Catch2.

#ifndef TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_SAMPLES_H_
#define TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_SAMPLES_H_

#include <string>

#include "tokencache/schema.h"
#include "tokencache/secret.h"

namespace tokencache {
namespace test {

inline constexpr const char* kCanaryAccessToken =
    "CANARYAT.eyJhbGciOiJSUzI1NiJ9.Qk9ZLUFULWNhbmFyeS12YWx1ZS0wMDE.sigAT";
inline constexpr const char* kCanaryRefreshToken =
    "CANARYRT-0.AAAA-rt-canary-value-that-must-never-print-9f8e7d6c";
inline constexpr const char* kCanaryIdToken =
    "CANARYID.eyJ0eXAiOiJKV1QifQ.aWQtdG9rZW4tY2FuYXJ5LXZhbHVl.sigID";

// Home account ids, tenants and clients shaped like the real ones.
inline constexpr const char* kHomeAccountId =
    "0e7b8c3e-3b7f-44ed-a153-8a568a6408c6."
    "9c8517ff-d540-473f-a199-d34c9c09b23c";
inline constexpr const char* kTenant = "9c8517ff-d540-473f-a199-d34c9c09b23c";
inline constexpr const char* kClientId = "9ef023be-f951-49d9-a014-d227d2f99905";

inline ExtraFields SampleExtras() {
  return {{"x_unmodelled", "{\"a\":[1,2,{\"b\":null}]}"}, {"x_flag", "true"}};
}

inline TenantProfile FullTenantProfile(int i) {
  TenantProfile p;
  p.tenant_id = "tenant-" + std::to_string(i);
  p.local_account_id = "oid-" + std::to_string(i);
  p.name = "Alice Example";
  p.username = "alice@contoso.example";
  p.login_hint = "alice-hint";
  p.upn = "alice@contoso.example";
  p.is_home_tenant = i == 0;
  p.native_account_id = "native-" + std::to_string(i);
  p.extra = {{"futureProfileField", "\"v\""}};
  return p;
}

inline Account FullAccount() {
  Account a;
  a.home_account_id = kHomeAccountId;
  a.environment = "login.windows.net";
  a.realm = kTenant;
  a.local_account_id = "0e7b8c3e-3b7f-44ed-a153-8a568a6408c6";
  a.username = "alice@contoso.example";
  a.authority_type = "MSSTS";
  a.client_info = "eyJ1aWQiOiIwZTdiIiwidXRpZCI6IjljODUifQ";
  a.name = "Alice Example";
  a.given_name = "Alice";
  a.family_name = "Example";
  a.account_source = "device_code";
  a.wam_account_ids = {{"client-a", "wam-1"}, {"client-b", "wam-2"}};
  a.last_modification_time = 1795672391;
  a.last_modification_app = "tokencache-test";
  a.tenant_profiles = {FullTenantProfile(0), FullTenantProfile(1)};
  a.extra = SampleExtras();
  return a;
}

inline AccessToken FullAccessToken() {
  AccessToken t;
  t.home_account_id = kHomeAccountId;
  t.environment = "login.windows.net";
  t.client_id = kClientId;
  t.realm = kTenant;
  t.target = "user.read openid profile offline_access";
  t.secret = SecretBytes(kCanaryAccessToken);
  t.cached_at = 1795672391;
  t.expires_on = 1795675991;
  t.extended_expires_on = 1795679591;
  t.refresh_on = 1795674191;
  t.token_type = "pop";
  t.key_id = "kid-51b9d36e";
  t.user_assertion_hash = "aGFzaC1vZi1hc3NlcnRpb24";
  t.additional_key_components = {{"claims", "c1"}, {"shr_nonce", "n"}};
  t.resource = "https://graph.microsoft.com";
  t.client_info = "eyJ1aWQiOiIwZTdiIn0";
  t.extra = SampleExtras();
  return t;
}

inline RefreshToken FullRefreshToken() {
  RefreshToken t;
  t.home_account_id = kHomeAccountId;
  t.environment = "login.windows.net";
  t.client_id = kClientId;
  t.secret = SecretBytes(kCanaryRefreshToken);
  t.family_id = "1";
  t.target = "user.read";
  t.realm = kTenant;
  t.last_modification_time = 1795672391;
  t.expires_on = 1800000000;
  t.client_info = "eyJ1aWQiOiIwZTdiIn0";
  t.user_assertion_hash = "aGFzaA";
  t.extra = SampleExtras();
  return t;
}

inline IdToken FullIdToken() {
  IdToken t;
  t.home_account_id = kHomeAccountId;
  t.environment = "login.windows.net";
  t.client_id = kClientId;
  t.realm = kTenant;
  t.secret = SecretBytes(kCanaryIdToken);
  t.client_info = "eyJ1aWQiOiIwZTdiIn0";
  t.extra = SampleExtras();
  return t;
}

inline AppMetadata FullAppMetadata() {
  AppMetadata m;
  m.client_id = kClientId;
  m.environment = "login.windows.net";
  m.family_id = "1";
  m.extra = SampleExtras();
  return m;
}

// A snapshot with `copies` of each full entity (distinct ids) and two
// unknown sections. copies = 2 gives roughly 4 KiB in the binary format.
inline CacheSnapshot SampleSnapshot(int copies) {
  CacheSnapshot s;
  for (int i = 0; i < copies; ++i) {
    std::string n = std::to_string(i);
    Account a = FullAccount();
    a.realm += n;
    s.accounts.push_back(a);
    AccessToken at = FullAccessToken();
    at.realm += n;
    at.expires_on += i;
    s.access_tokens.push_back(at);
    RefreshToken rt = FullRefreshToken();
    rt.client_id += n;
    s.refresh_tokens.push_back(rt);
    IdToken id = FullIdToken();
    id.realm += n;
    s.id_tokens.push_back(id);
    AppMetadata m = FullAppMetadata();
    m.client_id += n;
    s.app_metadata.push_back(m);
  }
  s.unknown_sections = {{"AuthorityMetadata", "{\"k\":{\"aliases\":[]}}"},
                        {"Appendix", "[1,2,3]"}};
  return s;
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SERIALIZERS_BINARY_ENTITY_SAMPLES_H_
