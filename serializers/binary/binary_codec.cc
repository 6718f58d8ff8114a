// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "serializers/binary/binary_codec.h"

#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tokencache {
namespace internal {
namespace {

// How the value bytes of a field are interpreted.
enum class FieldType : std::uint8_t {
  kString,   // raw bytes
  kSecret,   // raw bytes, into SecretBytes
  kTime,     // zig-zag varint filling the whole value
  kBool,     // one byte, 0 or 1
  kPair,     // varint key length, key, value (repeated: one per pair)
  kProfile,  // nested TenantProfile fields (repeated: one per profile)
};

// One known field of T. A table is indexed by tag - 2 (tag 1 is the extra
// field), which the static_asserts below check, so a lookup is one compare.
template <typename T>
struct FieldSpec {
  std::uint64_t tag;
  FieldType type;
  const char* name;  // the schema.h member, for error messages only
  std::string T::*string_member = nullptr;
  SecretBytes T::*secret_member = nullptr;
  UnixSeconds T::*time_member = nullptr;
  bool T::*bool_member = nullptr;
  StringPairs T::*pairs_member = nullptr;
  std::vector<TenantProfile> T::*profiles_member = nullptr;
};

template <typename T>
constexpr FieldSpec<T> Str(std::uint64_t tag, const char* name,
                           std::string T::*m) {
  FieldSpec<T> f{tag, FieldType::kString, name};
  f.string_member = m;
  return f;
}
template <typename T>
constexpr FieldSpec<T> Secret(std::uint64_t tag, const char* name,
                              SecretBytes T::*m) {
  FieldSpec<T> f{tag, FieldType::kSecret, name};
  f.secret_member = m;
  return f;
}
template <typename T>
constexpr FieldSpec<T> Time(std::uint64_t tag, const char* name,
                            UnixSeconds T::*m) {
  FieldSpec<T> f{tag, FieldType::kTime, name};
  f.time_member = m;
  return f;
}
template <typename T>
constexpr FieldSpec<T> Bool(std::uint64_t tag, const char* name, bool T::*m) {
  FieldSpec<T> f{tag, FieldType::kBool, name};
  f.bool_member = m;
  return f;
}
template <typename T>
constexpr FieldSpec<T> Pairs(std::uint64_t tag, const char* name,
                             StringPairs T::*m) {
  FieldSpec<T> f{tag, FieldType::kPair, name};
  f.pairs_member = m;
  return f;
}
template <typename T>
constexpr FieldSpec<T> Profiles(std::uint64_t tag, const char* name,
                                std::vector<TenantProfile> T::*m) {
  FieldSpec<T> f{tag, FieldType::kProfile, name};
  f.profiles_member = m;
  return f;
}

// The tag tables: docs/binary-format.md §4 lists the same numbers. Tags are
// forever: a field that goes away leaves its number unused.
template <typename T>
struct Layout;

template <>
struct Layout<Account> {
  static constexpr const char* kName = "account";
  static constexpr FieldSpec<Account> kFields[] = {
      Str<Account>(2, "home_account_id", &Account::home_account_id),
      Str<Account>(3, "environment", &Account::environment),
      Str<Account>(4, "realm", &Account::realm),
      Str<Account>(5, "local_account_id", &Account::local_account_id),
      Str<Account>(6, "username", &Account::username),
      Str<Account>(7, "authority_type", &Account::authority_type),
      Str<Account>(8, "client_info", &Account::client_info),
      Str<Account>(9, "name", &Account::name),
      Str<Account>(10, "given_name", &Account::given_name),
      Str<Account>(11, "family_name", &Account::family_name),
      Str<Account>(12, "account_source", &Account::account_source),
      Pairs<Account>(13, "wam_account_ids", &Account::wam_account_ids),
      Time<Account>(14, "last_modification_time",
                    &Account::last_modification_time),
      Str<Account>(15, "last_modification_app",
                   &Account::last_modification_app),
      Profiles<Account>(16, "tenant_profiles", &Account::tenant_profiles),
  };
};

template <>
struct Layout<AccessToken> {
  static constexpr const char* kName = "access token";
  static constexpr FieldSpec<AccessToken> kFields[] = {
      Str<AccessToken>(2, "home_account_id", &AccessToken::home_account_id),
      Str<AccessToken>(3, "environment", &AccessToken::environment),
      Str<AccessToken>(4, "client_id", &AccessToken::client_id),
      Str<AccessToken>(5, "realm", &AccessToken::realm),
      Str<AccessToken>(6, "target", &AccessToken::target),
      Secret<AccessToken>(7, "secret", &AccessToken::secret),
      Time<AccessToken>(8, "cached_at", &AccessToken::cached_at),
      Time<AccessToken>(9, "expires_on", &AccessToken::expires_on),
      Time<AccessToken>(10, "extended_expires_on",
                        &AccessToken::extended_expires_on),
      Time<AccessToken>(11, "refresh_on", &AccessToken::refresh_on),
      Str<AccessToken>(12, "token_type", &AccessToken::token_type),
      Str<AccessToken>(13, "key_id", &AccessToken::key_id),
      Str<AccessToken>(14, "user_assertion_hash",
                       &AccessToken::user_assertion_hash),
      Pairs<AccessToken>(15, "additional_key_components",
                         &AccessToken::additional_key_components),
      Str<AccessToken>(16, "resource", &AccessToken::resource),
      Str<AccessToken>(17, "client_info", &AccessToken::client_info),
  };
};

template <>
struct Layout<RefreshToken> {
  static constexpr const char* kName = "refresh token";
  static constexpr FieldSpec<RefreshToken> kFields[] = {
      Str<RefreshToken>(2, "home_account_id", &RefreshToken::home_account_id),
      Str<RefreshToken>(3, "environment", &RefreshToken::environment),
      Str<RefreshToken>(4, "client_id", &RefreshToken::client_id),
      Secret<RefreshToken>(5, "secret", &RefreshToken::secret),
      Str<RefreshToken>(6, "family_id", &RefreshToken::family_id),
      Str<RefreshToken>(7, "target", &RefreshToken::target),
      Str<RefreshToken>(8, "realm", &RefreshToken::realm),
      Time<RefreshToken>(9, "last_modification_time",
                         &RefreshToken::last_modification_time),
      Time<RefreshToken>(10, "expires_on", &RefreshToken::expires_on),
      Str<RefreshToken>(11, "client_info", &RefreshToken::client_info),
      Str<RefreshToken>(12, "user_assertion_hash",
                        &RefreshToken::user_assertion_hash),
  };
};

template <>
struct Layout<IdToken> {
  static constexpr const char* kName = "id token";
  static constexpr FieldSpec<IdToken> kFields[] = {
      Str<IdToken>(2, "home_account_id", &IdToken::home_account_id),
      Str<IdToken>(3, "environment", &IdToken::environment),
      Str<IdToken>(4, "client_id", &IdToken::client_id),
      Str<IdToken>(5, "realm", &IdToken::realm),
      Secret<IdToken>(6, "secret", &IdToken::secret),
      Str<IdToken>(7, "client_info", &IdToken::client_info),
  };
};

template <>
struct Layout<AppMetadata> {
  static constexpr const char* kName = "app metadata";
  static constexpr FieldSpec<AppMetadata> kFields[] = {
      Str<AppMetadata>(2, "client_id", &AppMetadata::client_id),
      Str<AppMetadata>(3, "environment", &AppMetadata::environment),
      Str<AppMetadata>(4, "family_id", &AppMetadata::family_id),
  };
};

template <>
struct Layout<TenantProfile> {
  static constexpr const char* kName = "tenant profile";
  static constexpr FieldSpec<TenantProfile> kFields[] = {
      Str<TenantProfile>(2, "tenant_id", &TenantProfile::tenant_id),
      Str<TenantProfile>(3, "local_account_id",
                         &TenantProfile::local_account_id),
      Str<TenantProfile>(4, "name", &TenantProfile::name),
      Str<TenantProfile>(5, "username", &TenantProfile::username),
      Str<TenantProfile>(6, "login_hint", &TenantProfile::login_hint),
      Str<TenantProfile>(7, "upn", &TenantProfile::upn),
      Bool<TenantProfile>(8, "is_home_tenant", &TenantProfile::is_home_tenant),
      Str<TenantProfile>(9, "native_account_id",
                         &TenantProfile::native_account_id),
  };
};

template <typename T>
constexpr bool TagsAreDense() {
  std::uint64_t expected = 2;
  for (const FieldSpec<T>& f : Layout<T>::kFields) {
    if (f.tag != expected++) return false;
  }
  // Singular fields are tracked in a 64-bit "seen" mask.
  return expected <= 64;
}
static_assert(TagsAreDense<Account>(), "account tags must be 2, 3, ...");
static_assert(TagsAreDense<AccessToken>(), "access token tags");
static_assert(TagsAreDense<RefreshToken>(), "refresh token tags");
static_assert(TagsAreDense<IdToken>(), "id token tags");
static_assert(TagsAreDense<AppMetadata>(), "app metadata tags");
static_assert(TagsAreDense<TenantProfile>(), "tenant profile tags");

template <typename T>
const FieldSpec<T>* FindField(std::uint64_t tag) {
  constexpr std::size_t kCount =
      sizeof(Layout<T>::kFields) / sizeof(Layout<T>::kFields[0]);
  if (tag < 2 || tag - 2 >= kCount) return nullptr;
  return &Layout<T>::kFields[tag - 2];
}

template <typename T>
bool IsKnownTag(std::uint64_t tag) {
  return tag == kExtraFieldTag || FindField<T>(tag) != nullptr;
}

// "access token field 7 (secret) at byte 34: <what>". Tag numbers, field
// names and offsets describe structure, never data.
template <typename T>
Status FieldError(std::uint64_t tag, std::size_t offset,
                  std::string_view what) {
  std::string message = Layout<T>::kName;
  message += " field ";
  message += std::to_string(tag);
  if (tag == kExtraFieldTag) {
    message += " (extra)";
  } else if (const FieldSpec<T>* spec = FindField<T>(tag)) {
    message += " (";
    message += spec->name;
    message += ")";
  }
  return CorruptAt(offset, message + ": " + std::string(what));
}

// Emits one tag-length-value triple whose value is `bytes`.
template <typename Sink>
void EmitBytes(Sink* sink, std::uint64_t tag, std::string_view bytes) {
  sink->Varint(tag);
  sink->Varint(bytes.size());
  sink->Bytes(bytes);
}

// Emits a (length-prefixed first part, rest) value: the shape of pairs and
// extra fields.
template <typename Sink>
void EmitTwoPart(Sink* sink, std::uint64_t tag, std::string_view first,
                 std::string_view second) {
  sink->Varint(tag);
  sink->Varint(VarintSize(first.size()) + first.size() + second.size());
  sink->Varint(first.size());
  sink->Bytes(first);
  sink->Bytes(second);
}

// Emits the pairs sorted by key, whatever their order in memory: the
// decoder requires strictly increasing keys, and StringPairs promises that
// order, so a caller who broke it gets it repaired rather than a record
// nobody can read. A duplicated key cannot be repaired.
template <typename Sink>
Status EmitPairs(Sink* sink, std::uint64_t tag, const StringPairs& pairs,
                 const char* name) {
  bool sorted = true;
  for (std::size_t i = 1; i < pairs.size() && sorted; ++i) {
    sorted = pairs[i - 1].first < pairs[i].first;
  }
  if (sorted) {
    for (const auto& [key, value] : pairs) EmitTwoPart(sink, tag, key, value);
    return Status();
  }
  std::vector<const std::pair<std::string, std::string>*> order;
  order.reserve(pairs.size());
  for (const auto& pair : pairs) order.push_back(&pair);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (order[i - 1]->first == order[i]->first) {
      return InvalidArgumentError(std::string("binary: ") + name +
                                  " holds a duplicated key");
    }
  }
  for (const auto* pair : order) {
    EmitTwoPart(sink, tag, pair->first, pair->second);
  }
  return Status();
}

template <typename T, typename Sink>
Status EmitFields(const T& entity, Sink* sink) {
  for (const FieldSpec<T>& f : Layout<T>::kFields) {
    switch (f.type) {
      case FieldType::kString: {
        const std::string& v = entity.*(f.string_member);
        if (!v.empty()) EmitBytes(sink, f.tag, v);
        break;
      }
      case FieldType::kSecret: {
        const SecretBytes& v = entity.*(f.secret_member);
        if (!v.empty()) EmitBytes(sink, f.tag, v.view());
        break;
      }
      case FieldType::kTime: {
        UnixSeconds v = entity.*(f.time_member);
        if (v != 0) {
          std::uint64_t z = ZigZagEncode(v);
          sink->Varint(f.tag);
          sink->Varint(VarintSize(z));
          sink->Varint(z);
        }
        break;
      }
      case FieldType::kBool:
        if (entity.*(f.bool_member)) {
          sink->Varint(f.tag);
          sink->Varint(1);
          sink->Byte(1);
        }
        break;
      case FieldType::kPair: {
        Status s = EmitPairs(sink, f.tag, entity.*(f.pairs_member), f.name);
        if (!s.ok()) return s;
        break;
      }
      case FieldType::kProfile:
        if constexpr (std::is_same_v<T, Account>) {
          for (const TenantProfile& p : entity.*(f.profiles_member)) {
            CountingSink nested;
            Status s = EmitFields(p, &nested);
            if (!s.ok()) return s;
            sink->Varint(f.tag);
            sink->Varint(nested.size());
            s = EmitFields(p, sink);
            if (!s.ok()) return s;
          }
        }
        break;
    }
  }
  for (const ExtraField& extra : entity.extra) {
    std::uint64_t tag = 0;
    SecretBytes raw;
    if (ParseCarrier(extra, kUnknownFieldPrefix, &tag, &raw) &&
        !IsKnownTag<T>(tag)) {
      // Data a newer version wrote under a tag we do not know: put it back
      // under that tag, byte for byte.
      EmitBytes(sink, tag, raw.view());
    } else {
      EmitTwoPart(sink, kExtraFieldTag, extra.name, extra.json_value);
    }
  }
  return Status();
}

// Reads the single varint that must fill `value` exactly.
bool ReadWholeVarint(std::string_view value, std::uint64_t* out) {
  WireReader r(value, 0);
  return r.ReadVarint(out) == VarintStatus::kOk && r.done();
}

// Splits a (varint length, first, rest) value.
bool SplitTwoPart(std::string_view value, std::string_view* first,
                  std::string_view* second) {
  WireReader r(value, 0);
  std::uint64_t length = 0;
  if (r.ReadVarint(&length) != VarintStatus::kOk) return false;
  if (!r.Take(length, first)) return false;
  *second = r.Rest();
  return true;
}

template <typename T>
Status DecodeFieldsImpl(std::string_view bytes, std::size_t base, T* entity) {
  WireReader r(bytes, base);
  std::uint64_t seen = 0;  // bit `tag` set once a singular field was read
  while (!r.done()) {
    const std::size_t field_offset = r.offset();
    std::uint64_t tag = 0;
    VarintStatus vs = r.ReadVarint(&tag);
    if (vs != VarintStatus::kOk) {
      return VarintError(vs, field_offset,
                         std::string(Layout<T>::kName) + " field tag");
    }
    if (tag == 0 || tag > kMaxNumber) {
      return CorruptAt(field_offset, std::string(Layout<T>::kName) +
                                         ": field tag out of range");
    }
    std::uint64_t length = 0;
    vs = r.ReadVarint(&length);
    if (vs != VarintStatus::kOk) {
      return VarintError(vs, r.offset(),
                         std::string(Layout<T>::kName) + " field " +
                             std::to_string(tag) + " length");
    }
    const std::size_t left = r.remaining();
    std::string_view value;
    if (!r.Take(length, &value)) {
      return FieldError<T>(tag, field_offset,
                           "length " + std::to_string(length) +
                               " overruns the " + std::to_string(left) +
                               " bytes left");
    }
    const std::size_t value_offset = r.offset() - value.size();

    if (tag == kExtraFieldTag) {
      std::string_view name, json;
      if (!SplitTwoPart(value, &name, &json)) {
        return FieldError<T>(tag, value_offset, "malformed name length");
      }
      entity->extra.push_back(ExtraField{std::string(name), std::string(json)});
      continue;
    }
    const FieldSpec<T>* spec = FindField<T>(tag);
    if (spec == nullptr) {
      // Written by a newer version: keep it, opaque, for re-encoding.
      entity->extra.push_back(MakeCarrier(kUnknownFieldPrefix, tag, value));
      continue;
    }
    if (spec->type != FieldType::kPair && spec->type != FieldType::kProfile) {
      const std::uint64_t bit = std::uint64_t{1} << tag;
      if ((seen & bit) != 0) {
        return FieldError<T>(tag, field_offset, "appears twice");
      }
      seen |= bit;
    }
    switch (spec->type) {
      case FieldType::kString:
        (entity->*(spec->string_member)).assign(value.data(), value.size());
        break;
      case FieldType::kSecret:
        (entity->*(spec->secret_member)).Assign(value);
        break;
      case FieldType::kTime: {
        std::uint64_t z = 0;
        if (!ReadWholeVarint(value, &z)) {
          return FieldError<T>(tag, value_offset,
                               "not a varint of exactly its length");
        }
        entity->*(spec->time_member) = ZigZagDecode(z);
        break;
      }
      case FieldType::kBool:
        if (value.size() != 1 || static_cast<unsigned char>(value[0]) > 1) {
          return FieldError<T>(tag, value_offset, "not a 0 or 1 byte");
        }
        entity->*(spec->bool_member) = value[0] == 1;
        break;
      case FieldType::kPair: {
        std::string_view key, pair_value;
        if (!SplitTwoPart(value, &key, &pair_value)) {
          return FieldError<T>(tag, value_offset, "malformed key length");
        }
        StringPairs& pairs = entity->*(spec->pairs_member);
        if (!pairs.empty() && !(pairs.back().first < key)) {
          return FieldError<T>(tag, value_offset,
                               "keys not in strictly increasing order");
        }
        pairs.emplace_back(std::string(key), std::string(pair_value));
        break;
      }
      case FieldType::kProfile:
        if constexpr (std::is_same_v<T, Account>) {
          TenantProfile profile;
          Status s = DecodeFieldsImpl(value, value_offset, &profile);
          if (!s.ok()) return s;
          (entity->*(spec->profiles_member)).push_back(std::move(profile));
        }
        break;
    }
  }
  return Status();
}

bool IsDecimal(std::string_view digits, std::uint64_t* number) {
  // Canonical form only: no sign, no leading zero, at most kMaxNumber.
  if (digits.empty() || digits.size() > 10 || digits[0] == '0') return false;
  std::uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > kMaxNumber) return false;
  *number = n;
  return true;
}

}  // namespace

const char* EntityName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kAccount:
      return Layout<Account>::kName;
    case EntityKind::kAccessToken:
      return Layout<AccessToken>::kName;
    case EntityKind::kRefreshToken:
      return Layout<RefreshToken>::kName;
    case EntityKind::kIdToken:
      return Layout<IdToken>::kName;
    case EntityKind::kAppMetadata:
      return Layout<AppMetadata>::kName;
  }
  return "entity";
}

template <typename T>
Status CountFields(const T& entity, std::size_t* size) {
  CountingSink sink;
  Status s = EmitFields(entity, &sink);
  *size = sink.size();
  return s;
}

template <typename T>
Status WriteFields(const T& entity, WritingSink* sink) {
  return EmitFields(entity, sink);
}

template <typename T>
Status DecodeFields(std::string_view bytes, std::size_t base, T* entity) {
  return DecodeFieldsImpl(bytes, base, entity);
}

#define TOKENCACHE_BINARY_INSTANTIATE(T)                  \
  template Status CountFields<T>(const T&, std::size_t*); \
  template Status WriteFields<T>(const T&, WritingSink*); \
  template Status DecodeFields<T>(std::string_view, std::size_t, T*);
TOKENCACHE_BINARY_INSTANTIATE(Account)
TOKENCACHE_BINARY_INSTANTIATE(AccessToken)
TOKENCACHE_BINARY_INSTANTIATE(RefreshToken)
TOKENCACHE_BINARY_INSTANTIATE(IdToken)
TOKENCACHE_BINARY_INSTANTIATE(AppMetadata)
#undef TOKENCACHE_BINARY_INSTANTIATE

ExtraField MakeCarrier(std::string_view prefix, std::uint64_t number,
                       std::string_view bytes) {
  ExtraField field;
  field.name.reserve(prefix.size() + 10);
  field.name.append(prefix);
  field.name += std::to_string(number);
  const std::size_t encoded_size = sodium_base64_ENCODED_LEN(
      bytes.size(), sodium_base64_VARIANT_ORIGINAL);  // includes the NUL
  field.json_value.assign(encoded_size + 1, '"');
  sodium_bin2base64(&field.json_value[1], encoded_size,
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  // bin2base64 wrote a NUL where the closing quote belongs.
  field.json_value[encoded_size] = '"';
  return field;
}

bool ParseCarrier(const ExtraField& field, std::string_view prefix,
                  std::uint64_t* number, SecretBytes* bytes) {
  std::string_view name = field.name;
  if (name.substr(0, prefix.size()) != prefix) return false;
  if (!IsDecimal(name.substr(prefix.size()), number)) return false;
  std::string_view json = field.json_value;
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') {
    return false;
  }
  std::string_view b64 = json.substr(1, json.size() - 2);
  if (b64.empty()) {
    // An empty field; libsodium may not be handed an empty buffer, whose
    // pointer can be null (its `bin` argument is declared nonnull).
    bytes->Clear();
    return true;
  }
  // Padded base64 comes in groups of 4 characters; a shorter string is not
  // one (and would leave libsodium a null output buffer).
  if (b64.size() % 4 != 0) return false;
  bytes->Resize(b64.size() / 4 * 3);
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes->mutable_data()),
                        bytes->size(), b64.data(), b64.size(), nullptr,
                        &decoded, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return false;
  }
  bytes->Resize(decoded);
  // Only the canonical spelling is a carrier: otherwise re-encoding would
  // change the extra field's text.
  return MakeCarrier(prefix, *number, bytes->view()).json_value == json;
}

Status CorruptAt(std::size_t offset, std::string_view what) {
  return CorruptedError(std::string(what) + " at byte " +
                        std::to_string(offset));
}

Status VarintError(VarintStatus status, std::size_t offset,
                   std::string_view what) {
  return CorruptAt(offset,
                   std::string(what) + (status == VarintStatus::kTruncated
                                            ? ": varint cut short"
                                            : ": varint longer than 10 bytes"));
}

}  // namespace internal
}  // namespace tokencache
