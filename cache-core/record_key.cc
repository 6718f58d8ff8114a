// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/record_key.h"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "cache-core/rules.h"

namespace tokencache {
namespace internal {
namespace {

bool NeedsEscape(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '%' || c == '|' || c == ',' ||
         c == '=';
}

void AppendSeparator(std::string* out) { out->push_back('|'); }

// Appends a normalized scope set (NormalizeScopes).
void AppendScopeSet(std::string* out, const std::vector<std::string>& scopes) {
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (i > 0) out->push_back(' ');
    AppendKeyComponent(out, scopes[i], /*lower=*/false);
  }
}

void AppendComponents(std::string* out, const StringPairs& pairs) {
  StringPairs sorted = pairs;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendKeyComponent(out, sorted[i].first, /*lower=*/false);
    out->push_back('=');
    AppendKeyComponent(out, sorted[i].second, /*lower=*/false);
  }
}

void AppendEnvironment(std::string* out, std::string_view environment) {
  AppendKeyComponent(out, EnvironmentGroupView(environment), /*lower=*/true);
}

}  // namespace

void AppendKeyComponent(std::string* out, std::string_view component,
                        bool lower) {
  // Fast path for the common component that needs no escaping: copy it in
  // one go and lower-case it in place (lookups build a key prefix on every
  // call). On the first byte that needs escaping, start over byte by byte.
  const std::size_t start = out->size();
  out->append(component.data(), component.size());
  char* copied = out->data() + start;
  bool escaped = false;
  for (std::size_t i = 0; i < component.size(); ++i) {
    const char ch = lower ? ToLowerAscii(copied[i]) : copied[i];
    if (NeedsEscape(static_cast<unsigned char>(ch))) {
      escaped = true;
      break;
    }
    copied[i] = ch;
  }
  if (!escaped) return;
  out->resize(start);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char raw : component) {
    const char ch = lower ? ToLowerAscii(raw) : raw;
    const auto c = static_cast<unsigned char>(ch);
    if (NeedsEscape(c)) {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0x0f]);
    } else {
      out->push_back(ch);
    }
  }
}

void AppendPartition(std::string* out, std::string_view home_account_id,
                     std::string_view client_id, std::string_view realm,
                     std::string_view user_assertion_hash) {
  if (!user_assertion_hash.empty()) {
    out->append("o|");
    AppendKeyComponent(out, client_id, /*lower=*/true);
    AppendSeparator(out);
    AppendKeyComponent(out, user_assertion_hash, /*lower=*/false);
  } else if (!home_account_id.empty()) {
    out->append("u|");
    AppendKeyComponent(out, home_account_id, /*lower=*/true);
  } else {
    out->append("a|");
    AppendKeyComponent(out, client_id, /*lower=*/true);
    AppendSeparator(out);
    AppendKeyComponent(out, realm, /*lower=*/true);
  }
  AppendSeparator(out);
}

void AccessTokenPrefix(std::string* out, std::string_view home_account_id,
                       std::string_view client_id, std::string_view realm,
                       std::string_view user_assertion_hash) {
  out->clear();
  AppendPartition(out, home_account_id, client_id, realm,
                  user_assertion_hash);
  out->append("at|");
  AppendKeyComponent(out, client_id, /*lower=*/true);
  AppendSeparator(out);
  AppendKeyComponent(out, realm, /*lower=*/true);
  AppendSeparator(out);
}

std::string RecordKey(const AccessToken& token) {
  std::string key;
  key.reserve(128 + token.target.size());
  std::vector<std::string> scopes;
  BuildRecordKey(token, &key, &scopes);
  return key;
}

void BuildRecordKey(const AccessToken& token, std::string* out,
                    std::vector<std::string>* scopes) {
  AccessTokenPrefix(out, token.home_account_id, token.client_id, token.realm,
                    token.user_assertion_hash);
  AppendEnvironment(out, token.environment);
  AppendSeparator(out);
  if (token.token_type.empty()) {
    out->append("bearer");
  } else {
    AppendKeyComponent(out, token.token_type, /*lower=*/true);
  }
  AppendSeparator(out);
  AppendKeyComponent(out, token.key_id, /*lower=*/true);
  AppendSeparator(out);
  AppendComponents(out, token.additional_key_components);
  AppendSeparator(out);
  NormalizeScopesInto(token.target, scopes);
  AppendScopeSet(out, *scopes);
}

std::string RecordKey(const RefreshToken& token) {
  std::string key;
  AppendPartition(&key, token.home_account_id, token.client_id, token.realm,
                  token.user_assertion_hash);
  key.append("rt|");
  if (token.family_id.empty()) {
    key.append("c:");
    AppendKeyComponent(&key, token.client_id, /*lower=*/true);
  } else {
    key.append("f:");
    AppendKeyComponent(&key, token.family_id, /*lower=*/true);
  }
  AppendSeparator(&key);
  AppendEnvironment(&key, token.environment);
  return key;
}

std::string RecordKey(const IdToken& token) {
  std::string key;
  AppendPartition(&key, token.home_account_id, token.client_id, token.realm,
                  /*user_assertion_hash=*/{});
  key.append("id|");
  AppendKeyComponent(&key, token.client_id, /*lower=*/true);
  AppendSeparator(&key);
  AppendKeyComponent(&key, token.realm, /*lower=*/true);
  AppendSeparator(&key);
  AppendEnvironment(&key, token.environment);
  return key;
}

std::string RecordKey(const Account& account) {
  std::string key;
  AppendPartition(&key, account.home_account_id, /*client_id=*/{},
                  account.realm, /*user_assertion_hash=*/{});
  key.append("ac|");
  AppendKeyComponent(&key, account.realm, /*lower=*/true);
  AppendSeparator(&key);
  AppendEnvironment(&key, account.environment);
  return key;
}

std::string RecordKey(const AppMetadata& metadata) {
  std::string key = "m|am|";
  AppendKeyComponent(&key, metadata.client_id, /*lower=*/true);
  AppendSeparator(&key);
  AppendEnvironment(&key, metadata.environment);
  return key;
}

std::optional<std::string> UnescapeKeyComponent(std::string_view component) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(component.size());
  for (std::size_t i = 0; i < component.size(); ++i) {
    if (component[i] != '%') {
      out.push_back(component[i]);
      continue;
    }
    if (i + 2 >= component.size()) return std::nullopt;
    const int hi = hex(component[i + 1]);
    const int lo = hex(component[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return out;
}

std::string_view RecordKindOf(std::string_view key) {
  // The number of partition components before the kind: "u|H", "o|C|A",
  // "a|C|R", "m".
  std::size_t skip = 0;
  if (key.size() < 2 || key[1] != '|') return {};
  switch (key[0]) {
    case 'u': skip = 2; break;
    case 'o': skip = 3; break;
    case 'a': skip = 3; break;
    case 'm': skip = 1; break;
    default: return {};
  }
  std::size_t pos = 0;
  for (std::size_t i = 0; i < skip; ++i) {
    pos = key.find('|', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const std::size_t end = key.find('|', pos);
  if (end == std::string_view::npos) return {};
  return key.substr(pos, end - pos);
}

std::string AccountPartitionPrefix(std::string_view home_account_id) {
  std::string key = "u|";
  AppendKeyComponent(&key, home_account_id, /*lower=*/true);
  AppendSeparator(&key);
  return key;
}

}  // namespace internal
}  // namespace tokencache
