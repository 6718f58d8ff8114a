// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Field order follows msal-node 7.2.3's Serializer (the fields it writes come
// first, in its order; fields only other MSAL libraries write come after),
// and keys follow its CacheHelpers, so that a cache msal-node wrote comes out
// byte for byte as it went in. Extra fields are re-emitted after the known
// ones, in their stored order.

#include "serializers/json/msal_json_writer.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "rapidjson/error/en.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "serializers/json/msal_json_buffer.h"
#include "serializers/json/msal_json_keys.h"

namespace tokencache {
namespace internal {

// A rapidjson output stream that grows a SecretBytes. SecretBytes wipes the
// old buffer whenever it moves to a larger one, so no stale copy of token
// text is left behind.
class SecretSink {
 public:
  using Ch = char;

  void Put(char c) {
    if (size_ == out_.size()) Grow(1);
    out_.mutable_data()[size_++] = c;
  }
  void PutUnsafe(char c) { out_.mutable_data()[size_++] = c; }
  void Reserve(std::size_t count) {
    if (out_.size() - size_ < count) Grow(count);
  }
  void Flush() {}

  std::size_t size() const { return size_; }
  SecretBytes Finish() {
    out_.Resize(size_);
    size_ = 0;
    return std::move(out_);
  }

 private:
  void Grow(std::size_t at_least) {
    std::size_t want = std::max<std::size_t>(out_.size() * 2, 4096);
    out_.Resize(std::max(want, size_ + at_least));
  }

  SecretBytes out_;
  std::size_t size_ = 0;
};

}  // namespace internal
}  // namespace tokencache

namespace rapidjson {
// rapidjson's writer asks the stream to reserve room before writing a string
// and then writes unchecked; these make that fast for SecretSink.
template <>
inline void PutReserve(tokencache::internal::SecretSink& stream,
                       size_t count) {
  stream.Reserve(count);
}
template <>
inline void PutUnsafe(tokencache::internal::SecretSink& stream, char c) {
  stream.PutUnsafe(c);
}
}  // namespace rapidjson

namespace tokencache {
namespace internal {
namespace {

using rapidjson::SizeType;

// As in the reader; FindInvalidJsonByte screens the text beforehand.
constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

constexpr std::string_view kSectionNames[] = {
    "Account", "AccessToken", "RefreshToken", "IdToken", "AppMetadata"};

SizeType Len(std::string_view s) { return static_cast<SizeType>(s.size()); }

// Forwards parse events of a stored JSON value into an output writer,
// checking its nesting on the way (rapidjson 1.1's Writer::RawNumber would
// quote numbers, hence RawValue).
template <typename W>
class Forwarder {
 public:
  Forwarder(W* w, int max_depth) : w_(w), max_depth_(max_depth) {}
  bool too_deep() const { return too_deep_; }

  bool Null() { return w_->Null(); }
  bool Bool(bool b) { return w_->Bool(b); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, SizeType n, bool) {
    return w_->RawValue(s, n, rapidjson::kNumberType);
  }
  // A "\udc00" escape decodes to bytes that are not UTF-8 (see the reader);
  // refuse it rather than write what could not be read back.
  bool String(const char* s, SizeType n, bool) {
    return !HasEncodedSurrogate(s, n) && w_->String(s, n);
  }
  bool Key(const char* s, SizeType n, bool) {
    return !HasEncodedSurrogate(s, n) && w_->Key(s, n);
  }
  bool StartObject() { return Enter() && w_->StartObject(); }
  bool EndObject(SizeType n) {
    --depth_;
    return w_->EndObject(n);
  }
  bool StartArray() { return Enter() && w_->StartArray(); }
  bool EndArray(SizeType n) {
    --depth_;
    return w_->EndArray(n);
  }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  W* w_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
};

// Writes the stored JSON text `json` as one value, re-encoded compactly (or
// indented by a PrettyWriter). The text may hold secrets, so it is parsed in
// place in a copy that is wiped afterwards.
template <typename W>
Status WriteStoredJson(W* w, std::string_view json, int max_depth,
                       const std::string& what) {
  std::size_t bad = FindInvalidJsonByte(json);
  if (bad != json.size()) {
    return InvalidArgumentError("msal-json: " + what + " is not valid JSON (" +
                                DescribeInvalidByte(json, bad) + ")");
  }
  ParseBuffer copy(json);
  Forwarder<W> forwarder(w, max_depth);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream stream(copy.data());
  rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, forwarder);
  if (forwarder.too_deep()) {
    return InvalidArgumentError("msal-json: " + what +
                                " nests deeper than max_depth allows");
  }
  if (result.IsError()) {
    return InvalidArgumentError("msal-json: " + what + " is not valid JSON (" +
                                rapidjson::GetParseError_En(result.Code()) +
                                " at offset " +
                                std::to_string(result.Offset()) + ")");
  }
  return Status();
}

// Writes one entity's members. Empty strings and zero timestamps are left
// out unless `always`; an extra field whose name equals a field written here
// is dropped (the modelled value wins), and an empty `always` field gives way
// to an extra of the same name (a malformed original kept verbatim).
template <typename W>
class EntityWriter {
 public:
  EntityWriter(W* w, const ExtraFields& extra, int max_depth)
      : w_(w), extra_(extra), max_depth_(max_depth) {
    w_->StartObject();
  }

  void Str(std::string_view name, std::string_view value,
           bool always = false) {
    if (!ShouldWrite(name, value.empty(), always)) return;
    Name(name);
    w_->String(value.data(), Len(value));
  }
  void Secret(std::string_view name, const SecretBytes& value,
              bool always = false) {
    Str(name, value.view(), always);
  }
  void Time(std::string_view name, UnixSeconds value, bool always = false) {
    if (!ShouldWrite(name, value == 0, always)) return;
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
    (void)ec;  // 24 bytes always hold an int64
    Name(name);
    w_->String(digits, static_cast<SizeType>(end - digits));
  }
  void Map(std::string_view name, const StringPairs& pairs) {
    if (pairs.empty()) return;
    Name(name);
    w_->StartObject();
    for (const auto& [key, value] : pairs) {
      w_->Key(key.data(), Len(key));
      w_->String(value.data(), Len(value));
    }
    w_->EndObject();
  }
  // Starts a member whose value the caller writes.
  void Name(std::string_view name) {
    written_.push_back(name);
    w_->Key(name.data(), Len(name));
  }

  // Writes the extra fields and closes the object.
  Status Finish(const std::string& what) {
    for (const ExtraField& field : extra_) {
      if (std::find(written_.begin(), written_.end(), field.name) !=
          written_.end()) {
        continue;
      }
      w_->Key(field.name.data(), Len(field.name));
      Status status = WriteStoredJson(w_, field.json_value, max_depth_,
                                      what + ", an extra field");
      if (!status.ok()) return status;
    }
    w_->EndObject();
    return Status();
  }

 private:
  bool ShouldWrite(std::string_view name, bool empty, bool always) const {
    if (!empty) return true;
    if (!always) return false;
    for (const ExtraField& field : extra_) {
      if (field.name == name) return false;
    }
    return true;
  }

  W* w_;
  const ExtraFields& extra_;
  int max_depth_;
  std::vector<std::string_view> written_;
};

// The JSON text msal-node stores for one tenant profile.
Result<std::string> TenantProfileText(const TenantProfile& profile,
                                      int max_depth,
                                      const std::string& what) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  // A profile is its own document: its root is depth 1.
  EntityWriter<rapidjson::Writer<rapidjson::StringBuffer>> e(
      &w, profile.extra, max_depth - 1);
  e.Str("tenantId", profile.tenant_id, true);
  e.Str("localAccountId", profile.local_account_id, true);
  e.Str("name", profile.name);
  e.Str("username", profile.username);
  e.Str("loginHint", profile.login_hint);
  e.Str("upn", profile.upn);
  e.Name("isHomeTenant");
  w.Bool(profile.is_home_tenant);
  e.Str("nativeAccountId", profile.native_account_id);
  Status status = e.Finish(what);
  std::string text(buffer.GetString(), buffer.GetSize());
  SecureWipe(const_cast<char*>(buffer.GetString()), buffer.GetSize());
  if (!status.ok()) return status;
  return text;
}

std::string EntryText(std::string_view section, std::size_t index) {
  return "section " + std::string(section) + ", entry #" +
         std::to_string(index);
}

template <typename W>
class SnapshotWriter {
 public:
  SnapshotWriter(W* w, int max_depth) : w_(w), max_depth_(max_depth) {}

  Status Write(const CacheSnapshot& s) {
    std::size_t entities = s.accounts.size() + s.id_tokens.size() +
                           s.access_tokens.size() + s.refresh_tokens.size() +
                           s.app_metadata.size();
    keys_.reserve(entities);
    w_->StartObject();
    Status status = Section("Account", s.accounts, &SnapshotWriter::Account);
    if (status.ok()) {
      status = Section("IdToken", s.id_tokens, &SnapshotWriter::IdToken);
    }
    if (status.ok()) {
      status = Section("AccessToken", s.access_tokens,
                       &SnapshotWriter::AccessToken);
    }
    if (status.ok()) {
      status = Section("RefreshToken", s.refresh_tokens,
                       &SnapshotWriter::RefreshToken);
    }
    if (status.ok()) {
      status = Section("AppMetadata", s.app_metadata,
                       &SnapshotWriter::AppMetadata);
    }
    for (std::size_t i = 0; status.ok() && i < s.unknown_sections.size();
         ++i) {
      const ExtraField& section = s.unknown_sections[i];
      std::string what = "unknown section #" + std::to_string(i);
      if (std::find(std::begin(kSectionNames), std::end(kSectionNames),
                    section.name) != std::end(kSectionNames)) {
        return InvalidArgumentError("msal-json: " + what +
                                    " reuses the name of a known section");
      }
      w_->Key(section.name.data(), Len(section.name));
      // The top-level object is depth 1; the section's value starts at 2.
      status = WriteStoredJson(w_, section.json_value, max_depth_ - 1, what);
    }
    if (!status.ok()) return status;
    w_->EndObject();
    return Status();
  }

 private:
  template <typename T>
  using EntityFn = Status (SnapshotWriter::*)(const T&, const std::string&);

  template <typename T>
  Status Section(std::string_view name, const std::vector<T>& entities,
                 EntityFn<T> fn) {
    w_->Key(name.data(), Len(name));
    w_->StartObject();
    for (std::size_t i = 0; i < entities.size(); ++i) {
      Status status = (this->*fn)(entities[i], EntryText(name, i));
      if (!status.ok()) return status;
    }
    w_->EndObject();
    return Status();
  }

  // Files an entity under `key`, made unique across the whole document:
  // msal-node merges all sections into one key space, and a repeated key
  // would make JSON readers keep only the last entity.
  void Key(std::string key) {
    if (!keys_.insert(key).second) {
      for (int n = 2;; ++n) {
        std::string candidate = key + "-" + std::to_string(n);
        if (keys_.insert(candidate).second) {
          key = std::move(candidate);
          break;
        }
      }
    }
    w_->Key(key.data(), Len(key));
  }

  // Entities sit at depth 3; their extra fields' values start at depth 4.
  int ExtraDepth() const { return max_depth_ - 3; }

  Status Account(const tokencache::Account& a, const std::string& what) {
    Key(AccountKey(a));
    EntityWriter<W> e(w_, a.extra, ExtraDepth());
    // msal-node's Account type check needs these six to exist.
    e.Str("home_account_id", a.home_account_id, true);
    e.Str("environment", a.environment, true);
    e.Str("realm", a.realm, true);
    e.Str("local_account_id", a.local_account_id, true);
    e.Str("username", a.username, true);
    e.Str("authority_type", a.authority_type, true);
    e.Str("name", a.name);
    e.Str("client_info", a.client_info);
    e.Time("last_modification_time", a.last_modification_time);
    e.Str("last_modification_app", a.last_modification_app);
    if (!a.tenant_profiles.empty()) {
      std::vector<std::string> texts;
      texts.reserve(a.tenant_profiles.size());
      for (std::size_t i = 0; i < a.tenant_profiles.size(); ++i) {
        Result<std::string> text = TenantProfileText(
            a.tenant_profiles[i], max_depth_,
            what + ", tenant profile #" + std::to_string(i));
        if (!text.ok()) return text.status();
        texts.push_back(std::move(*text));
      }
      e.Name("tenantProfiles");
      w_->StartArray();
      for (const std::string& text : texts) w_->String(text.data(), Len(text));
      w_->EndArray();
    }
    e.Str("given_name", a.given_name);
    e.Str("family_name", a.family_name);
    e.Str("account_source", a.account_source);
    e.Map("wam_account_ids", a.wam_account_ids);
    return e.Finish(what);
  }

  Status IdToken(const tokencache::IdToken& t, const std::string& what) {
    Key(IdTokenKey(t));
    EntityWriter<W> e(w_, t.extra, ExtraDepth());
    e.Str("home_account_id", t.home_account_id, true);
    e.Str("environment", t.environment, true);
    e.Str("credential_type", "IdToken", true);
    e.Str("client_id", t.client_id, true);
    e.Secret("secret", t.secret, true);
    e.Str("realm", t.realm, true);
    e.Str("client_info", t.client_info);
    return e.Finish(what);
  }

  Status AccessToken(const tokencache::AccessToken& t,
                     const std::string& what) {
    Key(AccessTokenKey(t));
    const bool bearer = IsBearerTokenType(t.token_type);
    EntityWriter<W> e(w_, t.extra, ExtraDepth());
    // home_account_id is written even when empty: msal-node stores "" for
    // app-only tokens and matches on it.
    e.Str("home_account_id", t.home_account_id, true);
    e.Str("environment", t.environment, true);
    e.Str("credential_type",
          bearer ? "AccessToken" : "AccessToken_With_AuthScheme", true);
    e.Str("client_id", t.client_id, true);
    e.Secret("secret", t.secret, true);
    e.Str("realm", t.realm, true);
    e.Str("target", t.target, true);
    // Python indexes these two without a default; "0" reads as expired.
    e.Time("cached_at", t.cached_at, true);
    e.Time("expires_on", t.expires_on, true);
    e.Time("extended_expires_on", t.extended_expires_on);
    e.Time("refresh_on", t.refresh_on);
    e.Str("key_id", t.key_id);
    e.Str("token_type", t.token_type.empty() ? "Bearer" : t.token_type, true);
    e.Str("userAssertionHash", t.user_assertion_hash);
    e.Str("resource", t.resource);
    e.Map("additionalCacheKeyComponents", t.additional_key_components);
    // MSAL .NET's spellings of the same three values.
    e.Str("kid", t.key_id);
    e.Str("user_assertion_hash", t.user_assertion_hash);
    e.Map("ext", t.additional_key_components);
    e.Str("client_info", t.client_info);
    return e.Finish(what);
  }

  Status RefreshToken(const tokencache::RefreshToken& t,
                      const std::string& what) {
    Key(RefreshTokenKey(t));
    EntityWriter<W> e(w_, t.extra, ExtraDepth());
    e.Str("home_account_id", t.home_account_id, true);
    e.Str("environment", t.environment, true);
    e.Str("credential_type", "RefreshToken", true);
    e.Str("client_id", t.client_id, true);
    e.Secret("secret", t.secret, true);
    e.Str("family_id", t.family_id);
    e.Str("target", t.target);
    e.Str("realm", t.realm);
    e.Time("last_modification_time", t.last_modification_time);
    e.Time("expires_on", t.expires_on);
    e.Str("client_info", t.client_info);
    e.Str("user_assertion_hash", t.user_assertion_hash);
    e.Str("userAssertionHash", t.user_assertion_hash);
    return e.Finish(what);
  }

  Status AppMetadata(const tokencache::AppMetadata& m,
                     const std::string& what) {
    Key(AppMetadataKey(m));
    EntityWriter<W> e(w_, m.extra, ExtraDepth());
    e.Str("client_id", m.client_id, true);
    e.Str("environment", m.environment, true);
    e.Str("family_id", m.family_id);
    return e.Finish(what);
  }

  W* w_;
  int max_depth_;
  std::unordered_set<std::string> keys_;
};

template <typename W>
Result<SecretBytes> WriteWith(const CacheSnapshot& snapshot,
                              const MsalJsonWriteOptions& options) {
  SecretSink sink;
  W w(sink);
  SnapshotWriter<W> writer(&w, options.max_depth);
  Status status = writer.Write(snapshot);
  SecretBytes out = sink.Finish();
  if (!status.ok()) return status;
  if (options.max_output_bytes != 0 && out.size() > options.max_output_bytes) {
    return Status(Code::kResourceExhausted,
                  "msal-json: the serialized cache (" +
                      std::to_string(out.size()) +
                      " bytes) exceeds max_input_bytes (" +
                      std::to_string(options.max_output_bytes) +
                      "), so it could not be read back");
  }
  return out;
}

}  // namespace

Result<SecretBytes> WriteMsalJson(const CacheSnapshot& snapshot,
                                  const MsalJsonWriteOptions& options) {
  if (options.pretty) {
    return WriteWith<rapidjson::PrettyWriter<SecretSink>>(snapshot, options);
  }
  return WriteWith<rapidjson::Writer<SecretSink>>(snapshot, options);
}

}  // namespace internal
}  // namespace tokencache
