// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// CacheUri is a parsed backend URI, the string that chooses where a cache
// lives and how it is protected:
//
//   memory:
//   file:///home/u/.cache/app/msal_cache.json
//   file:///p/cache.bin?format=binary&key=file:/p/cache.key
//   lmdb:///var/lib/app/tokens?key=keychain:app/cache-key
//   redis://127.0.0.1:6379/0?prefix=app
//
// The grammar is the generic one of RFC 3986 reduced to what backends need:
// `scheme ":" ["//" authority] path ["?" query]`. Query options are
// `name=value` pairs separated by `&`; names and values are percent-decoded.
// Fragments are refused. Each backend documents the options it accepts and
// refuses the ones it does not know, so a typo never silently weakens a
// cache (for example a misspelt `key` that would leave it unencrypted).
//
// Plain value; no synchronization needed.

#ifndef TOKENCACHE_URI_H_
#define TOKENCACHE_URI_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokencache/export.h"
#include "tokencache/status.h"

namespace tokencache {

struct TOKENCACHE_EXPORT CacheUri {
  std::string scheme;     // Lower-cased, e.g. "file".
  std::string authority;  // Between "//" and the path; may be empty.
  std::string path;       // Percent-decoded, e.g. "/home/u/cache.json".
  // Options in the order given. A name may not repeat.
  std::vector<std::pair<std::string, std::string>> options;

  // Returns the value of option `name`, or nullopt when it is absent.
  std::optional<std::string> Option(std::string_view name) const;

  // Returns kInvalidArgument naming the first option that is not in
  // `known`, so that backends refuse what they do not understand.
  Status CheckOptions(std::initializer_list<std::string_view> known) const;

  // Returns the URI as text with option values replaced by "***" when they
  // might hold secrets; safe for logs and error messages.
  std::string Redacted() const;
};

// Parses `uri`. Returns kInvalidArgument, with a message that names the
// problem but never quotes the URI's options, for: a missing or malformed
// scheme, a fragment, a bad percent escape, an option without "=", an empty
// or repeated option name, or embedded NUL bytes.
TOKENCACHE_EXPORT Result<CacheUri> ParseCacheUri(std::string_view uri);

}  // namespace tokencache

#endif  // TOKENCACHE_URI_H_
