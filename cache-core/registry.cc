// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/registry.h"

#include <cctype>
#include <utility>

namespace tokencache {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool ValidScheme(std::string_view scheme) {
  if (scheme.empty() ||
      !std::isalpha(static_cast<unsigned char>(scheme.front()))) {
    return false;
  }
  for (char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

Status BackendRegistry::Register(std::string_view scheme,
                                 CacheFactory factory) {
  if (!ValidScheme(scheme)) {
    return InvalidArgumentError("registry: malformed URI scheme");
  }
  if (!factory) return InvalidArgumentError("registry: null factory");
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = factories_.emplace(Lower(scheme), std::move(factory));
  if (!inserted) {
    return Status(Code::kConflict,
                  "registry: scheme '" + it->first + "' already registered");
  }
  return Status();
}

bool BackendRegistry::Contains(std::string_view scheme) const {
  std::lock_guard<std::mutex> lock(mu_);
  return factories_.find(Lower(scheme)) != factories_.end();
}

std::vector<std::string> BackendRegistry::Schemes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(factories_.size());
  for (const auto& entry : factories_) out.push_back(entry.first);
  return out;
}

Result<std::unique_ptr<Cache>> BackendRegistry::Open(
    std::string_view uri, const CacheOptions& options) const {
  Result<CacheUri> parsed = ParseCacheUri(uri);
  if (!parsed.ok()) return parsed.status();
  CacheFactory factory;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = factories_.find(parsed->scheme);
    if (it == factories_.end()) {
      std::string known;
      for (const auto& entry : factories_) known += " " + entry.first + ":";
      return NotFoundError("no backend for URI scheme '" + parsed->scheme +
                           "' (registered:" +
                           (known.empty() ? std::string(" none") : known) +
                           ")");
    }
    factory = it->second;
  }
  try {
    return factory(*parsed, options);
  } catch (...) {
    return InternalError("backend factory for '" + parsed->scheme +
                         "' threw an exception");
  }
}

}  // namespace tokencache
