// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/uri.h"

#include <cctype>
#include <string>

namespace tokencache {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` into `out`. `what` names the part for errors.
Status PercentDecode(std::string_view in, std::string_view what,
                     std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return InvalidArgumentError("cache URI: truncated percent escape in " +
                                    std::string(what));
      }
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("cache URI: bad percent escape in " +
                                    std::string(what));
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') {
      return InvalidArgumentError("cache URI: NUL byte in " +
                                  std::string(what));
    }
    out->push_back(c);
  }
  return Status();
}

bool IsSchemeChar(char c, bool first) {
  if (std::isalpha(static_cast<unsigned char>(c))) return true;
  if (first) return false;
  return std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
         c == '-' || c == '.';
}

// Options whose values are never shown, whatever the backend.
bool MayHoldSecret(std::string_view name) {
  return name == "key" || name == "password" || name == "passphrase" ||
         name == "token" || name == "secret";
}

}  // namespace

std::optional<std::string> CacheUri::Option(std::string_view name) const {
  for (const auto& [key, value] : options) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Status CacheUri::CheckOptions(
    std::initializer_list<std::string_view> known) const {
  for (const auto& option : options) {
    bool found = false;
    for (std::string_view k : known) found = found || option.first == k;
    if (!found) {
      std::string message = scheme + " cache URI: unknown option '" +
                            option.first + "' (accepted:";
      for (std::string_view k : known) {
        message += " ";
        message += k;
      }
      if (known.size() == 0) message += " none";
      return InvalidArgumentError(message + ")");
    }
  }
  return Status();
}

std::string CacheUri::Redacted() const {
  std::string out = scheme + ":";
  if (!authority.empty() || scheme != "memory") out += "//" + authority;
  out += path;
  char sep = '?';
  for (const auto& [name, value] : options) {
    out += sep;
    out += name;
    out += '=';
    // Key specs name where a key lives (file:/p/k); the path is not secret
    // but a pasted raw key or passphrase would be, so the whole value goes.
    out += MayHoldSecret(name) ? std::string("***") : value;
    sep = '&';
  }
  return out;
}

Result<CacheUri> ParseCacheUri(std::string_view uri) {
  if (uri.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("cache URI: NUL byte");
  }
  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError(
        "cache URI: missing scheme (expected e.g. file:///path or memory:)");
  }
  CacheUri out;
  for (std::size_t i = 0; i < colon; ++i) {
    if (!IsSchemeChar(uri[i], i == 0)) {
      return InvalidArgumentError("cache URI: malformed scheme");
    }
    out.scheme.push_back(static_cast<char>(
        std::tolower(static_cast<unsigned char>(uri[i]))));
  }
  std::string_view rest = uri.substr(colon + 1);
  if (rest.find('#') != std::string_view::npos) {
    return InvalidArgumentError("cache URI: fragments (#...) are not allowed");
  }
  std::string_view query;
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    std::size_t slash = rest.find('/');
    std::string_view authority =
        slash == std::string_view::npos ? rest : rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view()
                                           : rest.substr(slash);
    Status s = PercentDecode(authority, "authority", &out.authority);
    if (!s.ok()) return s;
  }
  Status s = PercentDecode(rest, "path", &out.path);
  if (!s.ok()) return s;

  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair =
        amp == std::string_view::npos ? query : query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("cache URI: option without '=' value");
    }
    std::string name, value;
    s = PercentDecode(pair.substr(0, eq), "option name", &name);
    if (!s.ok()) return s;
    if (name.empty()) return InvalidArgumentError("cache URI: empty option name");
    s = PercentDecode(pair.substr(eq + 1), "option '" + name + "'", &value);
    if (!s.ok()) return s;
    if (out.Option(name).has_value()) {
      return InvalidArgumentError("cache URI: option '" + name +
                                  "' given twice");
    }
    out.options.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace tokencache
