// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "bench/common/bench_cache.h"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace tokencache {
namespace bench {
namespace {

// Ten years minus a day: comfortably valid, and below the core's "claims to
// live > 10 years" cut-off that turns a token into kExpired.
constexpr UnixSeconds kLifetime = 10LL * 365 * 24 * 3600 - 24 * 3600;

// libsodium must be initialised before its first use; idempotent.
void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

std::string Hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(),
                 reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string FakeJwt(const std::string& claims) {
  return Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + Base64Url(claims) +
         ".";
}

}  // namespace

std::string Guid(std::string_view label) {
  InitSodium();
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest,
                     reinterpret_cast<const unsigned char*>(label.data()),
                     label.size(), nullptr, 0);
  std::string h =
      Hex(std::string_view(reinterpret_cast<const char*>(digest), 16));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" +
         h.substr(17, 3) + "-" + h.substr(20, 12);
}

std::string Base64Url(std::string_view bytes) {
  InitSodium();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.find('\0'));
  return out;
}

std::string FilledSecret(std::string_view prefix, std::size_t fill) {
  std::string out(prefix);
  out.append(fill, 'a');
  return out;
}

SyntheticCache BuildSyntheticCache(std::size_t access_tokens, UnixSeconds now) {
  SyntheticCache out;
  out.client_id = Guid("silent-bench-client");
  const std::size_t k = std::max<std::size_t>(access_tokens, 1);
  const std::size_t accounts = std::max<std::size_t>(1, (k + 49) / 50);
  constexpr std::size_t kTenants = 3;

  struct Built {
    std::string home_account_id;
    std::string tenants[kTenants];
  };
  std::vector<Built> built(accounts);
  CacheSnapshot& snap = out.snapshot;
  for (std::size_t a = 0; a < accounts; ++a) {
    const std::string uid = Guid("uid-" + std::to_string(a));
    const std::string home = Guid("home-tenant-" + std::to_string(a % 7));
    Built& b = built[a];
    b.home_account_id = uid + "." + home;
    b.tenants[0] = home;
    b.tenants[1] = Guid("guest-tenant-" + std::to_string(a % 5) + "-1");
    b.tenants[2] = Guid("guest-tenant-" + std::to_string(a % 5) + "-2");
    const std::string username = "user" + std::to_string(a) + "@contoso" +
                                 std::to_string(a % 7) + ".example";
    const std::string name = "User " + std::to_string(a);

    Account account;
    account.home_account_id = b.home_account_id;
    account.environment = std::string(kEnvironment);
    account.realm = home;
    account.local_account_id = uid;
    account.username = username;
    account.authority_type = "MSSTS";
    account.client_info =
        Base64Url(R"({"uid":")" + uid + R"(","utid":")" + home + R"("})");
    account.name = name;
    for (const std::string& tid : b.tenants) {
      TenantProfile profile;
      profile.tenant_id = tid;
      profile.local_account_id = uid;
      profile.name = name;
      profile.is_home_tenant = tid == home;
      account.tenant_profiles.push_back(std::move(profile));

      IdToken id;
      id.home_account_id = b.home_account_id;
      id.environment = std::string(kEnvironment);
      id.client_id = out.client_id;
      id.realm = tid;
      const std::string claims =
          R"({"aud":")" + out.client_id + R"(","iss":"https://)" +
          std::string(kEnvironment) + "/" + tid + R"(/v2.0","iat":)" +
          std::to_string(now) + R"(,"nbf":)" + std::to_string(now) +
          R"(,"exp":)" + std::to_string(now + 3600) + R"(,"name":")" + name +
          R"(","oid":")" + uid + R"(","preferred_username":")" + username +
          R"(","sub":"sub-)" + uid + R"(","tid":")" + tid + R"(","ver":"2.0"})";
      id.secret.Assign(FakeJwt(claims));
      snap.id_tokens.push_back(std::move(id));
    }
    snap.accounts.push_back(std::move(account));

    RefreshToken rt;
    rt.home_account_id = b.home_account_id;
    rt.environment = std::string(kEnvironment);
    rt.client_id = out.client_id;
    rt.family_id = "1";
    rt.secret.Assign(FilledSecret("rt-" + std::to_string(a) + "-", 200));
    snap.refresh_tokens.push_back(std::move(rt));
  }
  AppMetadata app;
  app.client_id = out.client_id;
  app.environment = std::string(kEnvironment);
  app.family_id = "1";
  snap.app_metadata.push_back(std::move(app));

  snap.access_tokens.reserve(k);
  out.lookups.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t a = i % accounts;
    const std::size_t t = (i / accounts) % kTenants;
    const std::size_t s = i / (accounts * kTenants);
    const std::string resource = "api://resource-" + std::to_string(s);
    AccessToken at;
    at.home_account_id = built[a].home_account_id;
    at.environment = std::string(kEnvironment);
    at.client_id = out.client_id;
    at.realm = built[a].tenants[t];
    at.target = resource + "/read " + resource + "/write";
    at.secret.Assign(
        FilledSecret("at-" + std::to_string(i) + "-", kSecretFill));
    at.cached_at = now;
    at.expires_on = now + kLifetime;
    at.extended_expires_on = now + kLifetime;
    snap.access_tokens.push_back(std::move(at));

    AccessTokenQuery q;
    q.home_account_id = built[a].home_account_id;
    q.environment = std::string(kEnvironment);
    q.client_id = out.client_id;
    q.realm = built[a].tenants[t];
    q.scopes = {resource + "/read", resource + "/write"};
    out.lookups.push_back(std::move(q));
  }
  return out;
}

std::size_t LookupStride(std::size_t lookups) {
  if (lookups <= 7) return 1;
  const std::size_t stride = 7919 % lookups;
  return stride == 0 ? 1 : stride;
}

}  // namespace bench
}  // namespace tokencache
