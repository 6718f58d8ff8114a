// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Why SAX and not a DOM: a DOM would hold every token twice (DOM, then
// schema) and allocate a node per value; the handler below writes each value
// straight into its schema field, and token text goes from the parse buffer
// into SecretBytes with one copy. The parse runs in place (kParseInsituFlag)
// over a private copy of the input, so every byte of token text that rapidjson
// touches lives in one buffer that is wiped before returning.
//
// Why iterative parsing: rapidjson's recursive parser uses the C++ stack per
// nesting level; kParseIterativeFlag keeps its state on the heap, and the
// handler enforces max_depth on top of that.
//
// Numbers arrive as raw text (kParseNumbersAsStringsFlag), so that unknown
// fields keep their exact spelling and timestamps are range-checked by us.
// The input is screened for invalid UTF-8 and control bytes before parsing
// (see FindInvalidJsonByte for why rapidjson's own checks are not used).

#include "serializers/json/msal_json_reader.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "cache-core/internal/wiping_allocator.h"
#include "serializers/json/msal_json_buffer.h"
#include "tokencache/secret.h"

namespace tokencache {
namespace internal {
namespace {

using rapidjson::SizeType;

// No kParseValidateEncodingFlag: FindInvalidJsonByte screens the input.
constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

// ---------------------------------------------------------------------------
// Field tables. Each entity type lists the JSON names it models and where
// each value goes. Aliases (kid / key_id / keyid, ...) are separate rows that
// point at the same member; when several are present the last one read wins.

enum class FieldKind : std::uint8_t {
  kString,          // string or null
  kSecret,          // string or null, into SecretBytes
  kTokenType,       // string or null; "Bearer" is stored as "" (the default)
  kCredentialType,  // string or null; implied by the section, not stored
  kTimestamp,       // integer as string or number; anything else reads as 0
  kExtendedExpiry,  // kTimestamp, plus bookkeeping for ext_expires_on
  kLegacyExpiry,    // NET's ext_expires_on: decided when the entity ends
  kStringMap,       // object of string values, merged into StringPairs
  kTenantProfiles,  // array of JSON-encoded strings (Account only)
};

template <typename T>
struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  std::string T::*str = nullptr;
  SecretBytes T::*secret = nullptr;
  UnixSeconds T::*ts = nullptr;
  StringPairs T::*map = nullptr;
};

template <typename T>
constexpr FieldSpec<T> Str(std::string_view name, std::string T::*m) {
  return {name, FieldKind::kString, m, nullptr, nullptr, nullptr};
}
template <typename T>
constexpr FieldSpec<T> Secret(std::string_view name, SecretBytes T::*m) {
  return {name, FieldKind::kSecret, nullptr, m, nullptr, nullptr};
}
template <typename T>
constexpr FieldSpec<T> Time(std::string_view name, UnixSeconds T::*m,
                            FieldKind kind = FieldKind::kTimestamp) {
  return {name, kind, nullptr, nullptr, m, nullptr};
}
template <typename T>
constexpr FieldSpec<T> Map(std::string_view name, StringPairs T::*m) {
  return {name, FieldKind::kStringMap, nullptr, nullptr, nullptr, m};
}
template <typename T>
constexpr FieldSpec<T> Plain(std::string_view name, FieldKind kind) {
  return {name, kind, nullptr, nullptr, nullptr, nullptr};
}

// Rows are ordered by how often the field occurs, since lookup is linear.
constexpr FieldSpec<AccessToken> kAccessTokenFields[] = {
    Str("home_account_id", &AccessToken::home_account_id),
    Str("environment", &AccessToken::environment),
    Plain<AccessToken>("credential_type", FieldKind::kCredentialType),
    Str("client_id", &AccessToken::client_id),
    Secret("secret", &AccessToken::secret),
    Str("realm", &AccessToken::realm),
    Str("target", &AccessToken::target),
    Time("cached_at", &AccessToken::cached_at),
    Time("expires_on", &AccessToken::expires_on),
    Time("extended_expires_on", &AccessToken::extended_expires_on,
         FieldKind::kExtendedExpiry),
    Time("refresh_on", &AccessToken::refresh_on),
    {"token_type", FieldKind::kTokenType, &AccessToken::token_type, nullptr,
     nullptr, nullptr},
    Str("key_id", &AccessToken::key_id),
    Str("kid", &AccessToken::key_id),
    Str("keyid", &AccessToken::key_id),
    Str("userAssertionHash", &AccessToken::user_assertion_hash),
    Str("user_assertion_hash", &AccessToken::user_assertion_hash),
    Str("resource", &AccessToken::resource),
    Map("additionalCacheKeyComponents",
        &AccessToken::additional_key_components),
    Map("ext", &AccessToken::additional_key_components),
    Plain<AccessToken>("ext_expires_on", FieldKind::kLegacyExpiry),
    Str("client_info", &AccessToken::client_info),
};

constexpr FieldSpec<RefreshToken> kRefreshTokenFields[] = {
    Str("home_account_id", &RefreshToken::home_account_id),
    Str("environment", &RefreshToken::environment),
    Plain<RefreshToken>("credential_type", FieldKind::kCredentialType),
    Str("client_id", &RefreshToken::client_id),
    Secret("secret", &RefreshToken::secret),
    Str("family_id", &RefreshToken::family_id),
    Str("target", &RefreshToken::target),
    Str("realm", &RefreshToken::realm),
    Time("last_modification_time", &RefreshToken::last_modification_time),
    Time("expires_on", &RefreshToken::expires_on),
    Str("client_info", &RefreshToken::client_info),
    Str("user_assertion_hash", &RefreshToken::user_assertion_hash),
    Str("userAssertionHash", &RefreshToken::user_assertion_hash),
};

constexpr FieldSpec<IdToken> kIdTokenFields[] = {
    Str("home_account_id", &IdToken::home_account_id),
    Str("environment", &IdToken::environment),
    Plain<IdToken>("credential_type", FieldKind::kCredentialType),
    Str("client_id", &IdToken::client_id),
    Secret("secret", &IdToken::secret),
    Str("realm", &IdToken::realm),
    Str("client_info", &IdToken::client_info),
};

constexpr FieldSpec<Account> kAccountFields[] = {
    Str("home_account_id", &Account::home_account_id),
    Str("environment", &Account::environment),
    Str("realm", &Account::realm),
    Str("local_account_id", &Account::local_account_id),
    Str("username", &Account::username),
    Str("authority_type", &Account::authority_type),
    Str("name", &Account::name),
    Str("client_info", &Account::client_info),
    Time("last_modification_time", &Account::last_modification_time),
    Str("last_modification_app", &Account::last_modification_app),
    Plain<Account>("tenantProfiles", FieldKind::kTenantProfiles),
    Str("given_name", &Account::given_name),
    Str("family_name", &Account::family_name),
    Str("account_source", &Account::account_source),
    Map("wam_account_ids", &Account::wam_account_ids),
};

constexpr FieldSpec<AppMetadata> kAppMetadataFields[] = {
    Str("client_id", &AppMetadata::client_id),
    Str("environment", &AppMetadata::environment),
    Str("family_id", &AppMetadata::family_id),
};

// The seen-field bitmask is 32 bits wide.
static_assert(std::size(kAccessTokenFields) <= 32);
static_assert(std::size(kRefreshTokenFields) <= 32);
static_assert(std::size(kAccountFields) <= 32);

template <typename T, std::size_t N>
int FindField(const FieldSpec<T> (&table)[N], std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (table[i].name.size() == name.size() &&
        std::memcmp(table[i].name.data(), name.data(), name.size()) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Where a known field's value goes, with the entity type erased.
struct FieldTarget {
  FieldKind kind = FieldKind::kString;
  std::string_view name;
  std::string* str = nullptr;
  SecretBytes* secret = nullptr;
  UnixSeconds* ts = nullptr;
  StringPairs* map = nullptr;
};

template <typename T>
FieldTarget Bind(const FieldSpec<T>& spec, T& entity) {
  FieldTarget t;
  t.kind = spec.kind;
  t.name = spec.name;
  if (spec.str != nullptr) t.str = &(entity.*spec.str);
  if (spec.secret != nullptr) t.secret = &(entity.*spec.secret);
  if (spec.ts != nullptr) t.ts = &(entity.*spec.ts);
  if (spec.map != nullptr) t.map = &(entity.*spec.map);
  return t;
}

// ---------------------------------------------------------------------------
// Small helpers.

// Parses a whole decimal int64 ("-" allowed, nothing else: no '+', no
// spaces, no fraction or exponent).
bool ParseInt64(std::string_view text, UnixSeconds* out) {
  if (text.empty()) return false;
  UnixSeconds value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  *out = value;
  return true;
}

// Sorts by key and keeps the last value of each key (the one read last).
void NormalizePairs(StringPairs* pairs) {
  std::stable_sort(
      pairs->begin(), pairs->end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  StringPairs out;
  out.reserve(pairs->size());
  for (std::size_t i = 0; i < pairs->size(); ++i) {
    if (i + 1 < pairs->size() && (*pairs)[i + 1].first == (*pairs)[i].first) {
      continue;
    }
    out.push_back(std::move((*pairs)[i]));
  }
  *pairs = std::move(out);
}

// Builds compact JSON text for values we keep but do not model. The buffer
// may hold secrets (an unknown field can be anything), so it is wiped each
// time it is reset and when the capture ends.
class Capture {
 public:
  Capture() : writer_(buffer_) {}
  ~Capture() { Wipe(); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  void Begin() {
    Wipe();
    buffer_.Clear();
    writer_.Reset(buffer_);
    depth = 0;
  }
  std::string Take() const {
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

  using Buffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>,
                                                internal::WipingAllocator>;

  rapidjson::Writer<Buffer>& writer() { return writer_; }
  int depth = 0;  // Nesting inside the captured value.

  // One scalar as JSON text, e.g. a malformed timestamp.
  std::string StringText(const char* s, SizeType n) {
    Begin();
    writer_.String(s, n);
    return Take();
  }

 private:
  void Wipe() {
    SecureWipe(const_cast<char*>(buffer_.GetString()), buffer_.GetSize());
  }

  // Grows by reallocating: the wiping allocator wipes each outgrown block.
  Buffer buffer_;
  rapidjson::Writer<Buffer> writer_;
};

std::string SectionEntryText(std::string_view section, std::size_t entry) {
  return "section " + std::string(section) + ", entry #" +
         std::to_string(entry);
}

// ---------------------------------------------------------------------------
// msal-node's tenantProfiles entries: each a JSON object in a string.

class TenantProfileHandler {
 public:
  TenantProfileHandler(Capture* capture, int max_depth, TenantProfile* out)
      : capture_(capture), max_depth_(max_depth), out_(out) {}

  const std::string& error() const { return error_; }

  bool Null() { return Scalar(kNull, nullptr, 0, false); }
  bool Bool(bool b) { return Scalar(kBool, nullptr, 0, b); }
  bool Int(int) { return Unexpected(); }
  bool Uint(unsigned) { return Unexpected(); }
  bool Int64(std::int64_t) { return Unexpected(); }
  bool Uint64(std::uint64_t) { return Unexpected(); }
  bool Double(double) { return Unexpected(); }
  bool RawNumber(const char* s, SizeType n, bool) {
    return Scalar(kNumber, s, n, false);
  }
  bool String(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) return Fail("invalid \\u surrogate escape");
    return Scalar(kString, s, n, false);
  }
  bool Key(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) return Fail("invalid \\u surrogate escape");
    if (state_ == kCapture) return capture_->writer().Key(s, n);
    // state_ == kObject: the grammar allows keys nowhere else.
    std::string_view name(s, n);
    field_ = FindProfileField(name);
    if (field_ < 0) {
      extra_name_.assign(s, n);
      capture_->Begin();
      capture_->depth = 0;
      state_ = kCapture;
      return true;
    }
    std::uint32_t bit = 1u << field_;
    if (seen_ & bit) return Fail("duplicate field " + std::string(name));
    seen_ |= bit;
    state_ = kValue;
    return true;
  }
  bool StartObject() {
    if (++depth_ > max_depth_) return Fail("nested too deeply");
    if (state_ == kRoot) {
      state_ = kObject;
      return true;
    }
    if (state_ == kCapture) {
      ++capture_->depth;
      return capture_->writer().StartObject();
    }
    return WrongType();
  }
  bool EndObject(SizeType n) {
    --depth_;
    if (state_ == kCapture) {
      if (!capture_->writer().EndObject(n)) return Unexpected();
      return --capture_->depth == 0 ? FinishCapture() : true;
    }
    state_ = kDone;
    return true;
  }
  bool StartArray() {
    if (++depth_ > max_depth_) return Fail("nested too deeply");
    if (state_ == kCapture) {
      ++capture_->depth;
      return capture_->writer().StartArray();
    }
    if (state_ == kRoot) return Fail("not a JSON object");
    return WrongType();
  }
  bool EndArray(SizeType n) {
    --depth_;
    // Only captures contain arrays.
    if (!capture_->writer().EndArray(n)) return Unexpected();
    return --capture_->depth == 0 ? FinishCapture() : true;
  }

 private:
  enum State { kRoot, kObject, kValue, kCapture, kDone };
  enum ScalarType { kNull, kBool, kNumber, kString };
  enum Field {
    kTenantId,
    kLocalAccountId,
    kName,
    kUsername,
    kLoginHint,
    kUpn,
    kIsHomeTenant,
    kNativeAccountId,
  };

  static int FindProfileField(std::string_view name) {
    static constexpr std::string_view kNames[] = {
        "tenantId", "localAccountId", "name",         "username",
        "loginHint", "upn",           "isHomeTenant", "nativeAccountId"};
    for (std::size_t i = 0; i < std::size(kNames); ++i) {
      if (kNames[i] == name) return static_cast<int>(i);
    }
    return -1;
  }

  std::string* StringField() {
    switch (field_) {
      case kTenantId: return &out_->tenant_id;
      case kLocalAccountId: return &out_->local_account_id;
      case kName: return &out_->name;
      case kUsername: return &out_->username;
      case kLoginHint: return &out_->login_hint;
      case kUpn: return &out_->upn;
      case kNativeAccountId: return &out_->native_account_id;
      default: return nullptr;
    }
  }

  bool Scalar(ScalarType type, const char* s, SizeType n, bool b) {
    switch (state_) {
      case kRoot:
        return Fail("not a JSON object");
      case kCapture: {
        auto& w = capture_->writer();
        bool ok = type == kNull     ? w.Null()
                  : type == kBool   ? w.Bool(b)
                  : type == kNumber ? w.RawValue(s, n, rapidjson::kNumberType)
                                    : w.String(s, n);
        if (!ok) return Unexpected();
        return capture_->depth == 0 ? FinishCapture() : true;
      }
      case kValue:
        state_ = kObject;
        if (type == kNull) return true;  // null is the same as absent
        if (field_ == kIsHomeTenant) {
          if (type != kBool) return WrongType();
          out_->is_home_tenant = b;
          return true;
        }
        if (type != kString) return WrongType();
        StringField()->assign(s, n);
        return true;
      default:
        return Unexpected();
    }
  }

  bool FinishCapture() {
    out_->extra.push_back(ExtraField{std::move(extra_name_), capture_->Take()});
    extra_name_.clear();
    state_ = kObject;
    return true;
  }

  bool WrongType() {
    return Fail(field_ == kIsHomeTenant ? "isHomeTenant is not a boolean"
                                        : "a field is not a string");
  }
  bool Unexpected() { return Fail("unexpected JSON event"); }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  Capture* capture_;
  int max_depth_;
  TenantProfile* out_;
  State state_ = kRoot;
  int depth_ = 0;
  int field_ = -1;
  std::uint32_t seen_ = 0;
  std::string extra_name_;
  std::string error_;
};

// ---------------------------------------------------------------------------
// The cache document.

enum class Section : std::uint8_t {
  kAccount,
  kAccessToken,
  kRefreshToken,
  kIdToken,
  kAppMetadata,
};

constexpr std::string_view kSectionNames[] = {
    "Account", "AccessToken", "RefreshToken", "IdToken", "AppMetadata"};

bool FindSection(std::string_view name, Section* out) {
  for (std::size_t i = 0; i < std::size(kSectionNames); ++i) {
    if (kSectionNames[i] == name) {
      *out = static_cast<Section>(i);
      return true;
    }
  }
  return false;
}

class CacheHandler {
 public:
  CacheHandler(int max_depth, CacheSnapshot* out)
      : max_depth_(max_depth), out_(out) {}

  const std::string& error() const { return error_; }

  bool Null() { return Scalar(kNull, nullptr, 0, false); }
  bool Bool(bool b) { return Scalar(kBool, nullptr, 0, b); }
  bool Int(int) { return Unexpected(); }
  bool Uint(unsigned) { return Unexpected(); }
  bool Int64(std::int64_t) { return Unexpected(); }
  bool Uint64(std::uint64_t) { return Unexpected(); }
  bool Double(double) { return Unexpected(); }
  bool RawNumber(const char* s, SizeType n, bool) {
    return Scalar(kNumber, s, n, false);
  }
  bool String(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) {
      return Fail(Where() + ": invalid \\u surrogate escape in a string");
    }
    return Scalar(kString, s, n, false);
  }

  bool Key(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) {
      return Fail(Where() + ": invalid \\u surrogate escape in a name");
    }
    switch (state_) {
      case kCapture:
        return capture_.writer().Key(s, n);
      case kTop: {
        ++top_index_;
        std::string_view name(s, n);
        if (FindSection(name, &section_)) {
          state_ = kSectionValue;
          return true;
        }
        BeginCapture(kToUnknownSection, std::string(name));
        return true;
      }
      case kSection:
        // Keys inside a section are opaque: entities are known by content.
        state_ = kEntityValue;
        return true;
      case kEntity:
        return EntityKey(std::string_view(s, n));
      case kMap:
        map_key_.assign(s, n);
        state_ = kMapValue;
        return true;
      default:
        return Unexpected();
    }
  }

  bool StartObject() {
    if (++depth_ > max_depth_) {
      return Fail(Where() + ": nested deeper than max_depth (" +
                  std::to_string(max_depth_) + ")");
    }
    switch (state_) {
      case kRoot:
        state_ = kTop;
        return true;
      case kSectionValue:
        state_ = kSection;
        entry_index_ = 0;
        return true;
      case kEntityValue:
        BeginEntity();
        state_ = kEntity;
        return true;
      case kFieldValue:
        if (field_.kind == FieldKind::kStringMap) {
          map_pairs_.clear();
          state_ = kMap;
          return true;
        }
        if (IsTimestampKind(field_.kind)) {
          BeginMalformedTimestampCapture();
          ++capture_.depth;
          return capture_.writer().StartObject();
        }
        return WrongType();
      case kCapture:
        ++capture_.depth;
        return capture_.writer().StartObject();
      default:
        return WrongType();
    }
  }

  bool EndObject(SizeType n) {
    --depth_;
    switch (state_) {
      case kCapture:
        if (!capture_.writer().EndObject(n)) return Unexpected();
        return --capture_.depth == 0 ? FinishCapture() : true;
      case kTop:
        state_ = kDone;
        return true;
      case kSection:
        state_ = kTop;
        return true;
      case kEntity:
        FinishEntity();
        ++entry_index_;
        state_ = kSection;
        return true;
      case kMap:
        field_.map->insert(field_.map->end(),
                           std::make_move_iterator(map_pairs_.begin()),
                           std::make_move_iterator(map_pairs_.end()));
        map_pairs_.clear();
        NormalizePairs(field_.map);
        state_ = kEntity;
        return true;
      default:
        return Unexpected();
    }
  }

  bool StartArray() {
    if (++depth_ > max_depth_) {
      return Fail(Where() + ": nested deeper than max_depth (" +
                  std::to_string(max_depth_) + ")");
    }
    switch (state_) {
      case kRoot:
        return Fail("the document is not a JSON object");
      case kFieldValue:
        if (field_.kind == FieldKind::kTenantProfiles) {
          profile_index_ = 0;
          state_ = kProfiles;
          return true;
        }
        if (IsTimestampKind(field_.kind)) {
          BeginMalformedTimestampCapture();
          ++capture_.depth;
          return capture_.writer().StartArray();
        }
        return WrongType();
      case kCapture:
        ++capture_.depth;
        return capture_.writer().StartArray();
      default:
        return WrongType();
    }
  }

  bool EndArray(SizeType n) {
    --depth_;
    switch (state_) {
      case kCapture:
        if (!capture_.writer().EndArray(n)) return Unexpected();
        return --capture_.depth == 0 ? FinishCapture() : true;
      case kProfiles:
        state_ = kEntity;
        return true;
      default:
        return Unexpected();
    }
  }

 private:
  enum State {
    kRoot,          // before the document
    kTop,           // in the top-level object
    kSectionValue,  // after a section name
    kSection,       // in a section object
    kEntityValue,   // after an (ignored) entity key
    kEntity,        // in an entity object
    kFieldValue,    // after a known field name
    kMap,           // in ext / additionalCacheKeyComponents / wam_account_ids
    kMapValue,      // after a key in one of those
    kProfiles,      // in the tenantProfiles array
    kCapture,       // copying a value we keep as JSON text
    kDone,
  };
  enum ScalarType { kNull, kBool, kNumber, kString };
  enum CaptureDest {
    kToUnknownSection,
    kToEntityExtra,
    kToLegacyExpiry,
  };
  enum class Presence : std::uint8_t { kAbsent, kValid, kMalformed };

  static bool IsTimestampKind(FieldKind kind) {
    return kind == FieldKind::kTimestamp ||
           kind == FieldKind::kExtendedExpiry ||
           kind == FieldKind::kLegacyExpiry;
  }

  // "section AccessToken, entry #3, field expires_on": names only our own
  // constants and counters, never input text.
  std::string Where() const {
    switch (state_) {
      case kRoot:
      case kDone:
        return "document";
      case kTop:
        return "top level";
      case kSectionValue:
      case kSection:
      case kEntityValue:
        return "section " + std::string(SectionName());
      case kCapture:
        if (capture_dest_ == kToUnknownSection) {
          return "top-level member #" + std::to_string(top_index_);
        }
        return SectionEntryText(SectionName(), entry_index_);
      case kEntity:
        return SectionEntryText(SectionName(), entry_index_);
      default:
        return SectionEntryText(SectionName(), entry_index_) + ", field " +
               std::string(field_.name);
    }
  }
  std::string_view SectionName() const {
    return kSectionNames[static_cast<std::size_t>(section_)];
  }

  void BeginEntity() {
    seen_ = 0;
    legacy_expiry_ = Presence::kAbsent;
    extended_expiry_ = Presence::kAbsent;
    switch (section_) {
      case Section::kAccount:
        account_ = Account();
        extras_ = &account_.extra;
        break;
      case Section::kAccessToken:
        access_token_ = AccessToken();
        extras_ = &access_token_.extra;
        break;
      case Section::kRefreshToken:
        refresh_token_ = RefreshToken();
        extras_ = &refresh_token_.extra;
        break;
      case Section::kIdToken:
        id_token_ = IdToken();
        extras_ = &id_token_.extra;
        break;
      case Section::kAppMetadata:
        app_metadata_ = AppMetadata();
        extras_ = &app_metadata_.extra;
        break;
    }
  }

  template <typename T, std::size_t N>
  bool BindField(const FieldSpec<T> (&table)[N], T& entity,
                 std::string_view name) {
    int index = FindField(table, name);
    if (index < 0) {
      BeginCapture(kToEntityExtra, std::string(name));
      return true;
    }
    std::uint32_t bit = 1u << index;
    field_ = Bind(table[index], entity);
    if (seen_ & bit) {
      state_ = kFieldValue;
      return Fail(Where() + ": duplicate field");
    }
    seen_ |= bit;
    state_ = kFieldValue;
    return true;
  }

  bool EntityKey(std::string_view name) {
    switch (section_) {
      case Section::kAccount:
        return BindField(kAccountFields, account_, name);
      case Section::kAccessToken:
        return BindField(kAccessTokenFields, access_token_, name);
      case Section::kRefreshToken:
        return BindField(kRefreshTokenFields, refresh_token_, name);
      case Section::kIdToken:
        return BindField(kIdTokenFields, id_token_, name);
      case Section::kAppMetadata:
        return BindField(kAppMetadataFields, app_metadata_, name);
    }
    return Unexpected();
  }

  void FinishEntity() {
    switch (section_) {
      case Section::kAccount:
        out_->accounts.push_back(std::move(account_));
        break;
      case Section::kAccessToken:
        ApplyLegacyExpiry();
        out_->access_tokens.push_back(std::move(access_token_));
        break;
      case Section::kRefreshToken:
        out_->refresh_tokens.push_back(std::move(refresh_token_));
        break;
      case Section::kIdToken:
        out_->id_tokens.push_back(std::move(id_token_));
        break;
      case Section::kAppMetadata:
        out_->app_metadata.push_back(std::move(app_metadata_));
        break;
    }
  }

  // NET's rule: ext_expires_on stands in for extended_expires_on when the
  // latter is absent or 0. Otherwise (or when it is malformed) it is kept as
  // an unknown field, at the position it was read, so nothing is lost. A
  // malformed extended_expires_on does not fall back: its text is kept and
  // written back, and a fallback value would then collide with it.
  void ApplyLegacyExpiry() {
    if (legacy_expiry_ == Presence::kAbsent) return;
    bool extended_unset =
        extended_expiry_ == Presence::kAbsent ||
        (extended_expiry_ == Presence::kValid &&
         access_token_.extended_expires_on == 0);
    if (extended_unset && legacy_expiry_ == Presence::kValid) {
      access_token_.extended_expires_on = legacy_value_;
      return;
    }
    ExtraFields& extra = access_token_.extra;
    extra.insert(extra.begin() + static_cast<std::ptrdiff_t>(legacy_pos_),
                 ExtraField{"ext_expires_on", std::move(legacy_text_)});
  }

  void BeginCapture(CaptureDest dest, std::string name) {
    capture_.Begin();
    capture_.depth = 0;
    capture_dest_ = dest;
    capture_name_ = std::move(name);
    state_ = kCapture;
  }

  // A timestamp that is an object or an array: keep its text.
  void BeginMalformedTimestampCapture() {
    if (field_.kind == FieldKind::kLegacyExpiry) {
      BeginCapture(kToLegacyExpiry, std::string());
    } else {
      if (field_.kind == FieldKind::kExtendedExpiry) {
        extended_expiry_ = Presence::kMalformed;
      }
      BeginCapture(kToEntityExtra, std::string(field_.name));
    }
  }

  bool FinishCapture() {
    switch (capture_dest_) {
      case kToUnknownSection:
        out_->unknown_sections.push_back(
            ExtraField{std::move(capture_name_), capture_.Take()});
        state_ = kTop;
        break;
      case kToEntityExtra:
        extras_->push_back(
            ExtraField{std::move(capture_name_), capture_.Take()});
        state_ = kEntity;
        break;
      case kToLegacyExpiry:
        SetLegacyExpiry(Presence::kMalformed, 0, capture_.Take());
        state_ = kEntity;
        break;
    }
    capture_name_.clear();
    return true;
  }

  void SetLegacyExpiry(Presence presence, UnixSeconds value,
                       std::string text) {
    legacy_expiry_ = presence;
    legacy_value_ = value;
    legacy_text_ = std::move(text);
    legacy_pos_ = extras_->size();
  }

  bool Scalar(ScalarType type, const char* s, SizeType n, bool b) {
    switch (state_) {
      case kCapture: {
        auto& w = capture_.writer();
        bool ok = type == kNull     ? w.Null()
                  : type == kBool   ? w.Bool(b)
                  : type == kNumber ? w.RawValue(s, n, rapidjson::kNumberType)
                                    : w.String(s, n);
        if (!ok) return Unexpected();
        return capture_.depth == 0 ? FinishCapture() : true;
      }
      case kFieldValue:
        state_ = kEntity;
        return FieldScalar(type, s, n, b);
      case kSectionValue:
        if (type == kNull) {  // a null section is an empty one
          state_ = kTop;
          return true;
        }
        return Fail(Where() + ": not an object");
      case kEntityValue:
        if (type == kNull) {  // a null entry holds nothing; skip it
          ++entry_index_;
          state_ = kSection;
          return true;
        }
        return Fail(SectionEntryText(SectionName(), entry_index_) +
                    ": not an object");
      case kMapValue:
        if (type != kString) {
          state_ = kFieldValue;  // for the message
          return Fail(Where() + ": values must be strings");
        }
        map_pairs_.emplace_back(std::move(map_key_), std::string(s, n));
        map_key_.clear();
        state_ = kMap;
        return true;
      case kProfiles: {
        if (type != kString) {
          return Fail(SectionEntryText(SectionName(), entry_index_) +
                      ", field tenantProfiles[" +
                      std::to_string(profile_index_) + "]: not a string");
        }
        // The string sits NUL-terminated in our parse buffer (in-situ
        // parsing terminates every string), so it can be parsed in place.
        return ParseProfile(const_cast<char*>(s), n);
      }
      case kRoot:
        return Fail("the document is not a JSON object");
      default:
        return Unexpected();
    }
  }

  bool FieldScalar(ScalarType type, const char* s, SizeType n, bool b) {
    switch (field_.kind) {
      case FieldKind::kString:
      case FieldKind::kTokenType:
      case FieldKind::kSecret:
      case FieldKind::kCredentialType:
        if (type == kNull) return true;  // null is the same as absent
        if (type != kString) {
          state_ = kFieldValue;
          return Fail(Where() + ": not a string");
        }
        if (field_.kind == FieldKind::kSecret) {
          field_.secret->Assign(std::string_view(s, n));
        } else if (field_.kind == FieldKind::kTokenType) {
          // "Bearer" is the default, which the schema spells "".
          if (std::string_view(s, n) != "Bearer") field_.str->assign(s, n);
        } else if (field_.kind == FieldKind::kString) {
          field_.str->assign(s, n);
        }
        return true;
      case FieldKind::kTimestamp:
      case FieldKind::kExtendedExpiry:
      case FieldKind::kLegacyExpiry:
        return TimestampScalar(type, s, n, b);
      case FieldKind::kStringMap:
        if (type == kNull) return true;
        state_ = kFieldValue;
        return Fail(Where() + ": not an object");
      case FieldKind::kTenantProfiles:
        if (type == kNull) return true;
        state_ = kFieldValue;
        return Fail(Where() + ": not an array");
    }
    return Unexpected();
  }

  bool TimestampScalar(ScalarType type, const char* s, SizeType n, bool b) {
    const bool legacy = field_.kind == FieldKind::kLegacyExpiry;
    if (type == kNull) return true;  // null is the same as absent
    UnixSeconds value = 0;
    bool valid = (type == kString || type == kNumber) &&
                 ParseInt64(std::string_view(s, n), &value);
    // The JSON text of the value, for keeping it if it is malformed.
    std::string text;
    if (legacy || !valid) {
      switch (type) {
        case kString: text = capture_.StringText(s, n); break;
        case kNumber: text.assign(s, n); break;
        case kBool: text = b ? "true" : "false"; break;
        case kNull: break;
      }
    }
    if (legacy) {
      SetLegacyExpiry(valid ? Presence::kValid : Presence::kMalformed, value,
                      std::move(text));
      return true;
    }
    if (field_.kind == FieldKind::kExtendedExpiry) {
      extended_expiry_ = valid ? Presence::kValid : Presence::kMalformed;
    }
    if (valid) {
      *field_.ts = value;
    } else {
      // Malformed: reads as 0 (expired), and the original text is kept so
      // that it is written back as it was.
      extras_->push_back(ExtraField{std::string(field_.name), std::move(text)});
    }
    return true;
  }

  bool ParseProfile(char* s, SizeType n) {
    std::string where = SectionEntryText(SectionName(), entry_index_) +
                        ", field tenantProfiles[" +
                        std::to_string(profile_index_) + "]";
    ++profile_index_;
    // Its text was decoded from escapes, so screen it like a document.
    std::string_view text(s, n);
    std::size_t bad = FindInvalidJsonByte(text);
    if (bad != text.size()) {
      return Fail(where + ": " + DescribeInvalidByte(text, bad));
    }
    TenantProfile profile;
    TenantProfileHandler handler(&capture_, max_depth_, &profile);
    rapidjson::Reader reader;
    rapidjson::InsituStringStream stream(s);
    rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
    if (result.IsError()) {
      std::string reason = !handler.error().empty()
                               ? handler.error()
                               : rapidjson::GetParseError_En(result.Code());
      return Fail(where + ": " + reason);
    }
    account_.tenant_profiles.push_back(std::move(profile));
    return true;
  }

  bool WrongType() {
    switch (state_) {
      case kSectionValue:
        return Fail(Where() + ": not an object");
      case kEntityValue:
        return Fail(SectionEntryText(SectionName(), entry_index_) +
                    ": not an object");
      case kFieldValue: {
        const char* expected = "a string";
        if (field_.kind == FieldKind::kStringMap) expected = "an object";
        if (field_.kind == FieldKind::kTenantProfiles) expected = "an array";
        return Fail(Where() + ": not " + expected);
      }
      case kMapValue:
        state_ = kFieldValue;
        return Fail(Where() + ": values must be strings");
      case kProfiles:
        return Fail(SectionEntryText(SectionName(), entry_index_) +
                    ", field tenantProfiles[" +
                    std::to_string(profile_index_) + "]: not a string");
      default:
        return Unexpected();
    }
  }

  bool Unexpected() { return Fail(Where() + ": unexpected JSON event"); }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  const int max_depth_;
  CacheSnapshot* out_;
  State state_ = kRoot;
  int depth_ = 0;
  Section section_ = Section::kAccount;
  std::size_t top_index_ = 0;
  std::size_t entry_index_ = 0;
  std::size_t profile_index_ = 0;

  // The entity being read, one slot per type, and its bookkeeping.
  Account account_;
  AccessToken access_token_;
  RefreshToken refresh_token_;
  IdToken id_token_;
  AppMetadata app_metadata_;
  ExtraFields* extras_ = nullptr;
  std::uint32_t seen_ = 0;
  FieldTarget field_;
  Presence extended_expiry_ = Presence::kAbsent;
  Presence legacy_expiry_ = Presence::kAbsent;
  UnixSeconds legacy_value_ = 0;
  std::string legacy_text_;
  std::size_t legacy_pos_ = 0;

  StringPairs map_pairs_;
  std::string map_key_;

  Capture capture_;
  CaptureDest capture_dest_ = kToEntityExtra;
  std::string capture_name_;

  std::string error_;
};

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Status Corrupted(std::string message) {
  return Status(Code::kCorrupted, "msal-json: " + std::move(message));
}

}  // namespace

Result<CacheSnapshot> ReadMsalJson(std::string_view bytes, int max_depth) {
  // A UTF-8 byte order mark is not JSON, but Windows tools add one.
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::size_t bom = bytes.substr(0, kBom.size()) == kBom ? kBom.size() : 0;
  std::string_view body = bytes.substr(bom);

  if (std::all_of(body.begin(), body.end(), IsJsonSpace)) {
    return CacheSnapshot();  // msal-node creates empty cache files
  }
  // Screen for what rapidjson would miss: a NUL byte (the in-place parser
  // stops there as if the input ended, ignoring what follows), raw control
  // characters, invalid UTF-8.
  std::size_t bad = FindInvalidJsonByte(body);
  if (bad != body.size()) {
    return Corrupted(DescribeInvalidByte(body, bad) + " at byte offset " +
                     std::to_string(bom + bad));
  }

  ParseBuffer buffer(body);
  CacheSnapshot snapshot;
  CacheHandler handler(max_depth, &snapshot);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream stream(buffer.data());
  rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  if (result.IsError()) {
    std::string offset =
        " at byte offset " + std::to_string(bom + result.Offset());
    if (result.Code() == rapidjson::kParseErrorTermination &&
        !handler.error().empty()) {
      return Corrupted(handler.error() + offset);
    }
    return Corrupted(std::string("invalid JSON: ") +
                     rapidjson::GetParseError_En(result.Code()) + offset);
  }
  return snapshot;
}

}  // namespace internal
}  // namespace tokencache
