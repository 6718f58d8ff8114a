// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/token_claims.h"

#include <rapidjson/document.h>
#include <sodium.h>

#include <cstddef>

#include "cache-core/internal/wiping_allocator.h"
#include "tokencache/secret.h"

namespace tokencache {
namespace internal {
namespace {

// Wipes the decoded text on every path out: an ID-token payload is personal
// data even if it is not a credential.
class WipedString {
 public:
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  ~WipedString() { SecureWipe(s_.data(), s_.size()); }
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

bool ParseObject(const std::string& json, WipedDocument* doc) {
  doc->Parse(json.c_str(), json.size());
  return !doc->HasParseError() && doc->IsObject();
}

std::string StringMember(const WipedDocument& doc, const char* name) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::optional<std::string> DecodeBase64Url(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.empty()) return std::string();
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(),
                        /*ignore=*/nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    SecureWipe(out.data(), out.size());
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::optional<ClientInfo> DecodeClientInfo(std::string_view client_info) {
  std::optional<std::string> json = DecodeBase64Url(client_info);
  if (!json.has_value()) return std::nullopt;
  WipedString text(std::move(*json));
  WipedDocument doc;
  if (!ParseObject(text.get(), &doc)) return std::nullopt;
  ClientInfo info{StringMember(doc, "uid"), StringMember(doc, "utid")};
  if (info.uid.empty() || info.utid.empty()) return std::nullopt;
  return info;
}

std::optional<IdTokenClaims> DecodeIdTokenClaims(std::string_view jwt) {
  const std::size_t first = jwt.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (jwt.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;  // Five parts: an encrypted JWE, not an ID token.
  }
  std::optional<std::string> json =
      DecodeBase64Url(jwt.substr(first + 1, second - first - 1));
  if (!json.has_value()) return std::nullopt;
  WipedString text(std::move(*json));
  WipedDocument doc;
  if (!ParseObject(text.get(), &doc)) return std::nullopt;
  IdTokenClaims claims;
  claims.tid = StringMember(doc, "tid");
  claims.oid = StringMember(doc, "oid");
  claims.sub = StringMember(doc, "sub");
  claims.preferred_username = StringMember(doc, "preferred_username");
  claims.upn = StringMember(doc, "upn");
  claims.email = StringMember(doc, "email");
  claims.name = StringMember(doc, "name");
  claims.given_name = StringMember(doc, "given_name");
  claims.family_name = StringMember(doc, "family_name");
  return claims;
}

}  // namespace internal
}  // namespace tokencache
