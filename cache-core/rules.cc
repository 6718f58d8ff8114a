// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/rules.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace tokencache {
namespace internal {
namespace {

// Compares `stored` (already lower-case) with `probe` (any case) as if both
// were lower-case, byte by byte: the order NormalizeScopes sorts by.
int CompareLowered(std::string_view stored, std::string_view probe) {
  const std::size_t n = std::min(stored.size(), probe.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = static_cast<unsigned char>(stored[i]);
    const auto b = static_cast<unsigned char>(ToLowerAscii(probe[i]));
    if (a != b) return a < b ? -1 : 1;
  }
  if (stored.size() == probe.size()) return 0;
  return stored.size() < probe.size() ? -1 : 1;
}

// Binary search of a normalized set for `scope` in any case.
bool SetContains(const std::vector<std::string>& set, std::string_view scope) {
  std::size_t lo = 0;
  std::size_t hi = set.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const int c = CompareLowered(set[mid], scope);
    if (c == 0) return true;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

bool OnlyOidc(const std::vector<std::string>& set) {
  return std::all_of(set.begin(), set.end(),
                     [](const std::string& s) { return IsOidcScope(s); });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

const std::vector<AliasGroup>& KnownAliasGroups() {
  // Leaked on purpose: read from any thread until exit, never destroyed.
  static const auto* const groups = new std::vector<AliasGroup>{
      {"login.microsoftonline.com",
       "login.windows.net",
       {"login.microsoftonline.com", "login.windows.net", "login.microsoft.com",
        "sts.windows.net"}},
      {"login.partner.microsoftonline.cn",
       "login.partner.microsoftonline.cn",
       {"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
      {"login.microsoftonline.de",
       "login.microsoftonline.de",
       {"login.microsoftonline.de"}},
      {"login.microsoftonline.us",
       "login.microsoftonline.us",
       {"login.microsoftonline.us", "login.usgovcloudapi.net"}},
      {"login-us.microsoftonline.com",
       "login-us.microsoftonline.com",
       {"login-us.microsoftonline.com"}},
      {"login.sovcloud-identity.fr",
       "login.sovcloud-identity.fr",
       {"login.sovcloud-identity.fr"}},
      {"login.sovcloud-identity.de",
       "login.sovcloud-identity.de",
       {"login.sovcloud-identity.de"}},
      {"login.sovcloud-identity.sg",
       "login.sovcloud-identity.sg",
       {"login.sovcloud-identity.sg"}},
      {"login.windows-ppe.net",
       "login.windows-ppe.net",
       {"login.windows-ppe.net", "sts.windows-ppe.net",
        "login.microsoft-ppe.com"}},
  };
  return *groups;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

std::string_view HostOf(std::string_view authority) {
  std::string_view s = Trim(authority);
  const std::size_t scheme = s.find("://");
  if (scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  const std::size_t slash = s.find('/');
  if (slash != std::string_view::npos) s = s.substr(0, slash);
  return s;
}

const AliasGroup* FindAliasGroup(std::string_view host) {
  const std::string_view h = HostOf(host);
  for (const AliasGroup& group : KnownAliasGroups()) {
    for (std::string_view alias : group.hosts) {
      if (EqualsIgnoreCase(alias, h)) return &group;
    }
  }
  return nullptr;
}

std::string_view EnvironmentGroupView(std::string_view host) {
  const AliasGroup* group = FindAliasGroup(host);
  return group != nullptr ? group->preferred_cache : HostOf(host);
}

std::string EnvironmentGroupKey(std::string_view host) {
  return ToLower(EnvironmentGroupView(host));
}

std::string PreferredCacheHost(std::string_view host) {
  return EnvironmentGroupKey(host);
}

bool IsOidcScope(std::string_view scope) {
  return EqualsIgnoreCase(scope, "openid") ||
         EqualsIgnoreCase(scope, "profile") ||
         EqualsIgnoreCase(scope, "offline_access") ||
         EqualsIgnoreCase(scope, "email");
}

std::vector<std::string> NormalizeScopes(std::string_view target) {
  std::vector<std::string> out;
  NormalizeScopesInto(target, &out);
  return out;
}

void NormalizeScopesInto(std::string_view target,
                         std::vector<std::string>* out) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < target.size()) {
    const std::size_t end = target.find_first_of(" \t\r\n", pos);
    const std::size_t stop = end == std::string_view::npos ? target.size()
                                                           : end;
    if (stop > pos) {
      if (count == out->size()) out->emplace_back();
      std::string& scope = (*out)[count++];
      scope.assign(target.data() + pos, stop - pos);
      for (char& c : scope) c = ToLowerAscii(c);
    }
    pos = stop + 1;
  }
  // Drops what a longer target left from an earlier call.
  out->resize(count);
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

bool ScopesSatisfy(const std::vector<std::string>& token_scopes,
                   const std::vector<std::string>& requested) {
  bool has_resource_scope = false;
  for (const std::string& scope : requested) {
    if (!IsOidcScope(scope)) {
      has_resource_scope = true;
      if (!SetContains(token_scopes, scope)) return false;
    }
  }
  if (has_resource_scope) return true;
  // Only OIDC scopes were asked for: they must be granted, except
  // offline_access, which never appears in an access token's scopes.
  for (const std::string& scope : requested) {
    if (EqualsIgnoreCase(scope, "offline_access")) continue;
    if (!SetContains(token_scopes, scope)) return false;
  }
  return true;
}

bool ScopeSetsIntersect(const std::vector<std::string>& a,
                        const std::vector<std::string>& b) {
  const bool a_only_oidc = OnlyOidc(a);
  const bool b_only_oidc = OnlyOidc(b);
  for (const std::string& scope : a) {
    if (!a_only_oidc && IsOidcScope(scope)) continue;
    if (!b_only_oidc && IsOidcScope(scope)) continue;
    if (std::binary_search(b.begin(), b.end(), scope)) return true;
  }
  return false;
}

std::string NormalizeTokenType(std::string_view token_type) {
  return token_type.empty() ? std::string("bearer") : ToLower(token_type);
}

bool TokenTypesEqual(std::string_view a, std::string_view b) {
  if (a.empty()) a = "bearer";
  if (b.empty()) b = "bearer";
  return EqualsIgnoreCase(a, b);
}

bool ComponentsEqual(const StringPairs& a, const StringPairs& b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  // StringPairs are documented as sorted by key, but a caller-built query
  // may not be; compare order-independently without allocating when sorted.
  if (std::is_sorted(a.begin(), a.end()) &&
      std::is_sorted(b.begin(), b.end())) {
    return a == b;
  }
  StringPairs sa = a;
  StringPairs sb = b;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  return sa == sb;
}

bool IsTenantless(std::string_view tenant) {
  return tenant.empty() || EqualsIgnoreCase(tenant, "common") ||
         EqualsIgnoreCase(tenant, "organizations") ||
         EqualsIgnoreCase(tenant, "consumers");
}

std::string_view HomeTenantOf(std::string_view home_account_id) {
  const std::size_t dot = home_account_id.find('.');
  if (dot == std::string_view::npos) return {};
  return home_account_id.substr(dot + 1);
}

LookupState AccessTokenState(const AccessToken& token, UnixSeconds now,
                             std::chrono::seconds buffer) {
  if (token.expires_on <= 0) return LookupState::kExpired;
  if (token.cached_at > now) return LookupState::kExpired;
  if (token.expires_on - now > kMaxAccessTokenLifetime) {
    return LookupState::kExpired;
  }
  if (token.expires_on - now <= buffer.count()) return LookupState::kExpired;
  if (token.refresh_on > 0 && now > token.refresh_on) {
    return LookupState::kRefreshDue;
  }
  return LookupState::kValid;
}

}  // namespace internal

const char* LookupStateName(LookupState state) {
  switch (state) {
    case LookupState::kValid: return "VALID";
    case LookupState::kRefreshDue: return "REFRESH_DUE";
    case LookupState::kExpired: return "EXPIRED";
    case LookupState::kNotFound: return "NOT_FOUND";
  }
  return "UNKNOWN";
}

}  // namespace tokencache
