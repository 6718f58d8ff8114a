// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The LMDB record store in one process, on real LMDB files: safe flags (B1),
// one env per directory (B3), network file system refusal (B4), map growth
// after MDB_MAP_FULL, lookups that read one partition, long keys, and
// per-record encryption (K2 swap, S7 disk scan).

#include <catch2/catch.hpp>
#include <lmdb.h>
#include <sys/statfs.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/lmdb/lmdb_env.h"
#include "cache-core/record_key.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/cache.h"
#include "tokencache/cipher.h"
#include "tokencache/serializers/binary_record_codec.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

constexpr char kEnv[] = "login.windows.net";
constexpr char kClient[] = "client-1";

AccessToken Token(const std::string& home, const std::string& scope,
                  const std::string& secret) {
  const UnixSeconds now = SystemClock()->Now();
  AccessToken at;
  at.home_account_id = home;
  at.environment = kEnv;
  at.client_id = kClient;
  at.realm = "tenant";
  at.target = scope;
  at.secret = SecretBytes(secret);
  at.cached_at = now - 10;
  at.expires_on = now + 3600;
  at.token_type = "Bearer";
  return at;
}

AccessTokenQuery Query(const std::string& home, const std::string& scope) {
  AccessTokenQuery q;
  q.home_account_id = home;
  q.environment = kEnv;
  q.client_id = kClient;
  q.realm = "tenant";
  q.scopes = {scope};
  return q;
}

std::unique_ptr<Cache> OpenLmdbCache(const std::filesystem::path& dir,
                                     const LmdbOptions& options = {}) {
  Result<std::unique_ptr<RecordStore>> store =
      LmdbRecordStore::Open(dir, options);
  REQUIRE_OK(store);
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::move(*store), NewBinaryRecordCodec());
  REQUIRE_OK(cache);
  return std::move(*cache);
}

void Report(const std::string& id, const std::string& params,
            const std::string& figures, const std::string& bar, bool pass) {
  std::printf(
      "{\"id\":\"%s\",\"params\":{%s},\"figures\":{%s},\"bar\":\"%s\","
      "\"pass\":%s}\n",
      id.c_str(), params.c_str(), figures.c_str(), bar.c_str(),
      pass ? "true" : "false");
}

TEST_CASE("LMDB environments open with none of the unsafe flags (B1)",
          "[lmdb][B1]") {
  test::TempDir dir;
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  Result<std::shared_ptr<internal::LmdbEnv>> env =
      internal::LmdbEnv::Acquire(dir / "env", LmdbOptions());
  REQUIRE_OK(env);
  unsigned flags = 0;
  REQUIRE(mdb_env_get_flags((*env)->env(), &flags) == 0);
  const unsigned forbidden = MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC |
                             MDB_NOMEMINIT | MDB_NOLOCK;
  const int set = __builtin_popcount(flags & forbidden);
  Report("B1", "\"backend\":\"lmdb\"",
         "\"forbidden_flags_set\":" + std::to_string(set),
         "0 of NOSYNC, NOMETASYNC, MAPASYNC, NOMEMINIT, NOLOCK", set == 0);
  CHECK((flags & forbidden) == 0);
  // The one flag we do set: read transactions own their reader slots.
  CHECK((flags & MDB_NOTLS) != 0);
}

TEST_CASE("Two caches on one directory share one LMDB environment (B3)",
          "[lmdb][B3]") {
  test::TempDir dir;
  const std::size_t before = internal::LmdbEnvCount();
  Result<std::unique_ptr<Cache>> a = OpenCache("lmdb://" + (dir / "env").string());
  REQUIRE_OK(a);
  Result<std::unique_ptr<Cache>> b = OpenCache("lmdb://" + (dir / "env").string());
  REQUIRE_OK(b);
  CHECK(internal::LmdbEnvCount() == before + 1);
  // A different directory is a different environment.
  std::unique_ptr<Cache> c = OpenLmdbCache(dir / "other");
  CHECK(internal::LmdbEnvCount() == before + 2);

  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(Token("u1.t", "user.read", "canary-b3"));
  REQUIRE_OK((*a)->Import(snapshot));
  Result<AccessTokenLookup> hit = (*b)->FindAccessToken(Query("u1.t", "user.read"));
  REQUIRE_OK(hit);
  CHECK(hit->state == LookupState::kValid);
  a->reset();
  b->reset();
  c.reset();
  // The last handle closes the environment.
  CHECK(internal::LmdbEnvCount() == before);
}

TEST_CASE("An update callback that throws leaves the LMDB cache as it was",
          "[lmdb][rollback]") {
  test::TempDir dir;
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  CacheSnapshot first;
  first.access_tokens.push_back(Token("u1.t", "user.read", "canary-one"));
  REQUIRE_OK(cache->Import(first));

  CacheSnapshot half;
  half.access_tokens.push_back(Token("u2.t", "user.read", "canary-half"));
  Status thrown = cache->Update([&](CacheTransaction& txn) -> Status {
    txn.Import(half);
    throw std::runtime_error("callback failed");
  });
  CHECK(thrown.code() == Code::kInternal);

  // A later successful update must not carry the abandoned change along.
  CacheSnapshot next;
  next.access_tokens.push_back(Token("u3.t", "user.read", "canary-three"));
  REQUIRE_OK(cache->Import(next));
  std::unique_ptr<Cache> reopened = OpenLmdbCache(dir / "env");
  for (Cache* c : {cache.get(), reopened.get()}) {
    CHECK(c->FindAccessToken(Query("u1.t", "user.read"))->state ==
          LookupState::kValid);
    CHECK(c->FindAccessToken(Query("u2.t", "user.read"))->state ==
          LookupState::kNotFound);
    CHECK(c->FindAccessToken(Query("u3.t", "user.read"))->state ==
          LookupState::kValid);
  }
}

int FakeStatfs(const char*, struct statfs* buffer, long type) {
  std::memset(buffer, 0, sizeof(*buffer));
  buffer->f_type = type;
  return 0;
}
long fake_type = 0;
int FakeStatfsHook(const char* path, struct statfs* buffer) {
  return FakeStatfs(path, buffer, fake_type);
}

TEST_CASE("LMDB refuses network file systems before creating anything (B4)",
          "[lmdb][B4]") {
  test::TempDir dir;
  const long types[] = {0x6969, 0x517B, static_cast<long>(0xFF534D42u),
                        static_cast<long>(0xFE534D42u), 0x65735546};
  int refused = 0;
  int created = 0;
  for (long type : types) {
    fake_type = type;
    internal::SetStatfsForTesting(&FakeStatfsHook);
    const std::filesystem::path target = dir / "net" / "env";
    Result<std::unique_ptr<RecordStore>> store =
        LmdbRecordStore::Open(target);
    Result<std::unique_ptr<Cache>> via_uri =
        OpenCache("lmdb://" + target.string());
    internal::SetStatfsForTesting(nullptr);
    if (store.status().code() == Code::kNotSupported &&
        via_uri.status().code() == Code::kNotSupported) {
      ++refused;
    }
    if (std::filesystem::exists(dir / "net")) ++created;
  }
  Report("B4", "\"backend\":\"lmdb\",\"fs_types\":5",
         "\"refused\":" + std::to_string(refused) +
             ",\"files_created\":" + std::to_string(created),
         "100% kNotSupported, 0 files created", refused == 5 && created == 0);
  CHECK(refused == 5);
  CHECK(created == 0);
  // Control: a local file system opens.
  Result<std::unique_ptr<RecordStore>> local =
      LmdbRecordStore::Open(dir / "net" / "env");
  CHECK_OK(local);
}

TEST_CASE("A full LMDB map grows and the write is replayed; at the cap the "
          "store keeps what it had",
          "[lmdb][map]") {
  test::TempDir dir;
  LmdbOptions options;
  options.initial_map_size = 64 << 10;
  {
    std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "grow", options);
    CacheSnapshot snapshot;
    for (int i = 0; i < 400; ++i) {
      snapshot.access_tokens.push_back(Token("u" + std::to_string(i) + ".t",
                                             "user.read",
                                             std::string(2000, 'x')));
    }
    REQUIRE_OK(cache->Import(snapshot));
    Result<AccessTokenLookup> hit =
        cache->FindAccessToken(Query("u399.t", "user.read"));
    REQUIRE_OK(hit);
    CHECK(hit->state == LookupState::kValid);
    Result<std::shared_ptr<internal::LmdbEnv>> env =
        internal::LmdbEnv::Acquire(dir / "grow", options);
    REQUIRE_OK(env);
    MDB_envinfo info;
    REQUIRE(mdb_env_info((*env)->env(), &info) == 0);
    CHECK(info.me_mapsize > options.initial_map_size);
  }

  options.max_map_size = 256 << 10;
  std::unique_ptr<Cache> capped = OpenLmdbCache(dir / "cap", options);
  CacheSnapshot small;
  small.access_tokens.push_back(Token("keep.t", "user.read", "kept"));
  REQUIRE_OK(capped->Import(small));
  CacheSnapshot big;
  for (int i = 0; i < 400; ++i) {
    big.access_tokens.push_back(Token("b" + std::to_string(i) + ".t",
                                      "user.read", std::string(2000, 'y')));
  }
  CHECK(capped->Import(big).code() == Code::kResourceExhausted);
  Result<AccessTokenLookup> kept =
      capped->FindAccessToken(Query("keep.t", "user.read"));
  REQUIRE_OK(kept);
  CHECK(kept->state == LookupState::kValid);
  Result<AccessTokenLookup> none =
      capped->FindAccessToken(Query("b0.t", "user.read"));
  REQUIRE_OK(none);
  CHECK(none->state == LookupState::kNotFound);
}

// Counts the values a store hands out, to show what a lookup reads.
class CountingStore final : public RecordStore {
 public:
  CountingStore(std::unique_ptr<RecordStore> inner, long* values)
      : inner_(std::move(inner)), values_(values) {}
  std::string_view Name() const override { return "counting"; }

 protected:
  class Txn final : public RecordTransaction {
   public:
    Txn(std::unique_ptr<RecordTransaction> inner, long* values)
        : RecordTransaction(inner->writable(), inner->generation()),
          inner_(std::move(inner)),
          values_(values) {}

   protected:
    std::string_view StoreName() const override { return "counting"; }
    Result<std::optional<SecretBytes>> DoGet(std::string_view k) override {
      ++*values_;
      return inner_->Get(k);
    }
    Status DoScan(std::string_view p, const RecordScanFn& fn) override {
      return inner_->Scan(p, [&](std::string_view k, std::string_view v) {
        ++*values_;
        return fn(k, v);
      });
    }
    Status DoPut(std::string_view k, std::string_view v) override {
      return inner_->Put(k, v);
    }
    Status DoErase(std::string_view k) override { return inner_->Erase(k); }
    Result<std::uint64_t> DoCommit(std::uint64_t e) override {
      return inner_->Commit(e);
    }

   private:
    std::unique_ptr<RecordTransaction> inner_;
    long* values_;
  };

  Result<std::unique_ptr<RecordTransaction>> DoBegin(bool writable) override {
    Result<std::unique_ptr<RecordTransaction>> t =
        writable ? inner_->BeginWrite() : inner_->BeginRead();
    if (!t.ok()) return t.status();
    return std::unique_ptr<RecordTransaction>(new Txn(std::move(*t), values_));
  }

 private:
  std::unique_ptr<RecordStore> inner_;
  long* values_;
};

// Counts the values a codec decodes, to show what a lookup decodes.
class CountingCodec final : public RecordCodec {
 public:
  explicit CountingCodec(long* decodes)
      : inner_(NewBinaryRecordCodec()), decodes_(decodes) {}
  std::string_view Name() const override { return "counting"; }

 protected:
  Result<SecretBytes> DoEncode(const RecordEntity& entity) const override {
    return inner_->Encode(entity);
  }
  Result<RecordEntity> DoDecode(std::string_view value) const override {
    ++*decodes_;
    return inner_->Decode(value);
  }

 private:
  std::unique_ptr<const RecordCodec> inner_;
  long* decodes_;
};

// An LMDB cache in `dir` whose store counts the values it reads and whose
// codec counts what it decodes, into `values` and `decodes`.
std::unique_ptr<Cache> OpenCountingCache(const std::filesystem::path& dir,
                                         long* values, long* decodes) {
  Result<std::unique_ptr<RecordStore>> inner = LmdbRecordStore::Open(dir);
  REQUIRE_OK(inner);
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::make_unique<CountingStore>(std::move(*inner), values),
                  std::make_unique<CountingCodec>(decodes));
  REQUIRE_OK(cache);
  return std::move(*cache);
}

// Writes `tokens` to the LMDB cache in `dir`.
void SeedTokens(const std::filesystem::path& dir,
                const std::vector<AccessToken>& tokens) {
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir);
  CacheSnapshot snapshot;
  snapshot.access_tokens = tokens;
  REQUIRE_OK(cache->Import(snapshot));
}

// Runs `edit` in one committed write transaction on the raw store in `dir`,
// below the cache: what a bug or a hand edit could do.
void EditStore(const std::filesystem::path& dir,
               const std::function<void(RecordTransaction&)>& edit) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  REQUIRE_OK(store);
  Result<std::unique_ptr<RecordTransaction>> txn = (*store)->BeginWrite();
  REQUIRE_OK(txn);
  edit(**txn);
  REQUIRE_OK((*txn)->Commit());
}

TEST_CASE("A silent hit on LMDB reads only its partition, decodes only the "
          "tokens that can match, and reads nothing once the lookup is "
          "remembered",
          "[lmdb][partition]") {
  test::TempDir dir;
  long values = 0;
  long decodes = 0;
  std::unique_ptr<Cache> cache =
      OpenCountingCache(dir / "env", &values, &decodes);
  CacheSnapshot snapshot;
  for (int user = 0; user < 2000; ++user) {
    for (const char* scope : {"user.read", "mail.read", "files.read"}) {
      snapshot.access_tokens.push_back(
          Token("user" + std::to_string(user) + ".t", scope, "s"));
    }
  }
  REQUIRE_OK(cache->Import(snapshot));

  // One lookup, which must be a valid hit, reading `want_values` keys and
  // decoding `want_decodes` values.
  auto expect = [&](const std::string& home, const std::string& scope,
                    long want_values, long want_decodes) {
    values = 0;
    decodes = 0;
    Result<AccessTokenLookup> hit =
        cache->FindAccessToken(Query(home, scope));
    REQUIRE_OK(hit);
    CHECK(hit->state == LookupState::kValid);
    CHECK(values == want_values);
    CHECK(decodes == want_decodes);
  };
  // First sighting, answered straight from the store: the keys of the three
  // tokens of user1234's (client, realm) prefix, of 6000, and the one token
  // whose key names mail.read.
  expect("user1234.t", "mail.read", 3, 1);
  // Second sighting (scopes match in any case): the same reads, and the
  // token is kept, so from the third on nothing is read.
  expect("user1234.t", "MAIL.Read", 3, 1);
  for (int i = 0; i < 3; ++i) expect("user1234.t", "mail.read", 0, 0);
  // Another lookup in the same prefix is a new one.
  expect("user1234.t", "files.read", 3, 1);

  // A write elsewhere changes the generation: what was remembered is
  // forgotten, and the partition is read again, and only it.
  CacheSnapshot other;
  other.access_tokens.push_back(Token("user7.t", "user.read", "t"));
  REQUIRE_OK(cache->Import(other));
  expect("user1234.t", "mail.read", 3, 1);
  expect("user1234.t", "mail.read", 3, 1);
  expect("user1234.t", "mail.read", 0, 0);
}

TEST_CASE("One-off lookups neither keep records nor evict the remembered "
          "ones",
          "[lmdb][partition]") {
  test::TempDir dir;
  long values = 0;
  long decodes = 0;
  std::unique_ptr<Cache> cache =
      OpenCountingCache(dir / "env", &values, &decodes);
  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(Token("u.t", "mail.read", "mail"));
  snapshot.access_tokens.push_back(Token("v.t", "files.read", "files"));
  REQUIRE_OK(cache->Import(snapshot));
  // Remembered after its second sighting.
  for (int i = 0; i < 2; ++i) {
    REQUIRE_OK(cache->FindAccessToken(Query("u.t", "mail.read")));
  }
  // More distinct one-off lookups than the reader keeps records (20,000)
  // or sightings (16,384). Each reads the one key of its prefix and
  // decodes nothing, since no key names its scope.
  values = 0;
  decodes = 0;
  constexpr long kOneOff = 40000;
  for (long i = 0; i < kOneOff; ++i) {
    Result<AccessTokenLookup> miss = cache->FindAccessToken(
        Query("v.t", "scope" + std::to_string(i)));
    REQUIRE_OK(miss);
    REQUIRE(miss->state == LookupState::kNotFound);
  }
  CHECK(values == kOneOff);
  CHECK(decodes == 0);
  values = 0;
  decodes = 0;
  Result<AccessTokenLookup> hit =
      cache->FindAccessToken(Query("u.t", "mail.read"));
  REQUIRE_OK(hit);
  CHECK(hit->state == LookupState::kValid);
  CHECK(values == 0);
  CHECK(decodes == 0);
}

TEST_CASE("A corrupt token fails the lookups that need it, not the others",
          "[lmdb][partition][corrupt]") {
  test::TempDir dir;
  SeedTokens(dir / "env", {Token("u.t", "mail.read", "mail"),
                           Token("u.t", "files.read", "files")});
  // Overwrite the files.read token's value with bytes no codec reads.
  EditStore(dir / "env", [](RecordTransaction& txn) {
    std::string files_key;
    REQUIRE_OK(txn.Scan("", [&](std::string_view k, std::string_view) {
      if (k.find("|at|") != std::string_view::npos &&
          k.substr(k.size() - 10) == "files.read") {
        files_key = std::string(k);
      }
      return true;
    }));
    REQUIRE_FALSE(files_key.empty());
    REQUIRE_OK(txn.Put(files_key, "\xff not a record"));
  });
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  Result<AccessTokenLookup> mail =
      cache->FindAccessToken(Query("u.t", "mail.read"));
  REQUIRE_OK(mail);
  CHECK(mail->state == LookupState::kValid);
  // Read from the store on the first sighting, loaded on the next ones:
  // every way fails the same.
  for (int i = 0; i < 3; ++i) {
    Result<AccessTokenLookup> files =
        cache->FindAccessToken(Query("u.t", "files.read"));
    REQUIRE_FALSE(files.ok());
    CHECK(files.status().code() == Code::kCorrupted);
  }
  // Still usable for what is intact, however often asked.
  for (int i = 0; i < 3; ++i) {
    mail = cache->FindAccessToken(Query("u.t", "mail.read"));
    REQUIRE_OK(mail);
    CHECK(mail->state == LookupState::kValid);
    CHECK(mail->token->secret.view() == "mail");
  }
}

TEST_CASE("A token stored under another account's key is reported, never "
          "returned",
          "[lmdb][partition][corrupt]") {
  test::TempDir dir;
  SeedTokens(dir / "env", {Token("alice.t", "mail.read", "alice"),
                           Token("bob.t", "mail.read", "bob")});
  // Copy alice's value over bob's record.
  EditStore(dir / "env", [](RecordTransaction& txn) {
    const std::string alice =
        internal::RecordKey(Token("alice.t", "mail.read", ""));
    const std::string bob =
        internal::RecordKey(Token("bob.t", "mail.read", ""));
    Result<std::optional<SecretBytes>> value = txn.Get(alice);
    REQUIRE_OK(value);
    REQUIRE(value->has_value());
    REQUIRE_OK(txn.Put(bob, (*value)->view()));
  });
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  // First sighting (read from the store), then loaded: both refuse it.
  for (int i = 0; i < 3; ++i) {
    Result<AccessTokenLookup> got =
        cache->FindAccessToken(Query("bob.t", "mail.read"));
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == Code::kCorrupted);
    CHECK(got.status().message().find("does not match the key") !=
          std::string::npos);
  }
  Result<AccessTokenLookup> alice =
      cache->FindAccessToken(Query("alice.t", "mail.read"));
  REQUIRE_OK(alice);
  REQUIRE(alice->token.has_value());
  CHECK(alice->token->secret.view() == "alice");
}

TEST_CASE("A key-filtered LMDB lookup answers as a lookup on the whole "
          "partition does",
          "[lmdb][partition]") {
  test::TempDir dir;
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  CacheSnapshot snapshot;
  // Tokens with overlapping scope sets (a writer that skipped the
  // intersecting-scope cleanup), an OIDC-only token, and a scope that
  // needs escaping in the key.
  AccessToken older = Token("u.t", "mail.read user.read", "older");
  older.cached_at -= 100;
  snapshot.access_tokens.push_back(older);
  snapshot.access_tokens.push_back(
      Token("u.t", "Mail.Read Files.Read", "newer"));
  snapshot.access_tokens.push_back(Token("u.t", "openid profile", "oidc"));
  snapshot.access_tokens.push_back(
      Token("u.t", "api://x/a|b=c%d", "escaped"));
  // An expired token, and a usable one it must not hide.
  AccessToken expired = Token("u.t", "calendars.read", "expired");
  expired.expires_on = SystemClock()->Now() - 60;
  snapshot.access_tokens.push_back(expired);
  AccessToken expired_too = Token("u.t", "contacts.read", "stale");
  expired_too.expires_on = SystemClock()->Now() - 60;
  expired_too.cached_at += 5;
  snapshot.access_tokens.push_back(expired_too);
  snapshot.access_tokens.push_back(
      Token("u.t", "contacts.read contacts.write", "fresh"));
  // A token due for refresh.
  AccessToken due = Token("u.t", "tasks.read", "due");
  due.refresh_on = SystemClock()->Now() - 1;
  snapshot.access_tokens.push_back(due);
  // Equal matches (same state, same cached_at): the first in key order
  // wins, also when the keys pass LMDB's key size and are stored by digest.
  AccessToken tie_x = Token("u.t", "tie.read tie.x", "tie-x");
  AccessToken tie_y = Token("u.t", "tie.read tie.y", "tie-y");
  tie_y.cached_at = tie_x.cached_at;
  snapshot.access_tokens.push_back(tie_y);
  snapshot.access_tokens.push_back(tie_x);
  std::string long_scopes;
  for (int i = 0; i < 20; ++i) {
    long_scopes += "https://graph.example.com/long.scope." +
                   std::to_string(i) + " ";
  }
  for (const char* last : {"zzzz.b", "zzzz.a", "zzzz.c"}) {
    AccessToken t = Token("u.t", long_scopes + last, last);
    t.cached_at = tie_x.cached_at;
    REQUIRE(internal::RecordKey(t).size() > 600);
    snapshot.access_tokens.push_back(t);
  }
  REQUIRE_OK(cache->Import(snapshot));

  struct Case {
    std::vector<std::string> scopes;
    LookupState state;
    std::size_t matches;
    const char* secret;
  };
  const std::vector<Case> cases = {
      {{"mail.read"}, LookupState::kValid, 2, "newer"},
      {{"MAIL.READ", "openid", "offline_access"}, LookupState::kValid, 2,
       "newer"},
      {{"user.read", "mail.read"}, LookupState::kValid, 1, "older"},
      {{"openid"}, LookupState::kValid, 1, "oidc"},
      {{"offline_access", "profile"}, LookupState::kValid, 1, "oidc"},
      {{"api://x/a|b=c%d"}, LookupState::kValid, 1, "escaped"},
      {{"api://x/a"}, LookupState::kNotFound, 0, nullptr},
      {{"mail"}, LookupState::kNotFound, 0, nullptr},
      {{"calendars.read"}, LookupState::kExpired, 1, nullptr},
      {{"contacts.read"}, LookupState::kValid, 2, "fresh"},
      {{"tasks.read"}, LookupState::kRefreshDue, 1, "due"},
      {{"tie.read"}, LookupState::kValid, 2, "tie-x"},
      {{"https://graph.example.com/long.scope.7"}, LookupState::kValid, 3,
       "zzzz.a"},
  };
  // Every answer must agree with what an in-memory cache holding the same
  // tokens says. A fresh handle is asked three times: it answers from the
  // store, then loads, then answers from memory. A handle shared by all
  // cases, whose partition other lookups have partly loaded, is asked
  // once.
  std::unique_ptr<Cache> memory = Cache::NewInMemory();
  REQUIRE_OK(memory->Import(snapshot));
  std::unique_ptr<Cache> shared = OpenLmdbCache(dir / "env");
  for (const Case& c : cases) {
    AccessTokenQuery q = Query("u.t", "");
    q.scopes = c.scopes;
    std::unique_ptr<Cache> fresh = OpenLmdbCache(dir / "env");
    for (Cache* handle : {fresh.get(), fresh.get(), fresh.get(),
                          shared.get(), memory.get()}) {
      Result<AccessTokenLookup> got = handle->FindAccessToken(q);
      REQUIRE_OK(got);
      CHECK(got->state == c.state);
      CHECK(got->match_count == c.matches);
      CHECK(got->token.has_value() == (c.secret != nullptr));
      if (c.secret != nullptr) {
        REQUIRE(got->token.has_value());
        CHECK(got->token->secret.view() == c.secret);
      }
    }
  }
}

TEST_CASE("A lookup inside an LMDB update sees the update's own tokens",
          "[lmdb][partition]") {
  test::TempDir dir;
  SeedTokens(dir / "env", {Token("u.t", "mail.read", "stored")});
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  REQUIRE_OK(cache->Update([](CacheTransaction& txn) {
    CacheSnapshot added;
    added.access_tokens.push_back(Token("u.t", "files.read", "pending"));
    txn.Import(added);
    // Twice: a reader would answer the first from the store, which does
    // not hold the token yet.
    for (int i = 0; i < 2; ++i) {
      AccessTokenLookup got = txn.FindAccessToken(Query("u.t", "files.read"));
      CHECK(got.state == LookupState::kValid);
      REQUIRE(got.token.has_value());
      CHECK(got.token->secret.view() == "pending");
    }
    return Status();
  }));
  Result<AccessTokenLookup> after =
      cache->FindAccessToken(Query("u.t", "files.read"));
  REQUIRE_OK(after);
  REQUIRE(after->token.has_value());
  CHECK(after->token->secret.view() == "pending");
}

TEST_CASE("Records with keys longer than LMDB's key limit round trip",
          "[lmdb][keys]") {
  test::TempDir dir;
  std::unique_ptr<Cache> cache = OpenLmdbCache(dir / "env");
  std::string scopes;
  for (int i = 0; i < 60; ++i) {
    scopes += "https://graph.example.com/scope.number." + std::to_string(i) +
              " ";
  }
  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(Token("long.t", scopes, "long-secret"));
  snapshot.access_tokens.push_back(Token("long.t", "user.read", "short"));
  REQUIRE_OK(cache->Import(snapshot));
  std::unique_ptr<Cache> again = OpenLmdbCache(dir / "env");
  Result<AccessTokenLookup> hit = again->FindAccessToken(
      Query("long.t", "https://graph.example.com/scope.number.59"));
  REQUIRE_OK(hit);
  REQUIRE(hit->state == LookupState::kValid);
  CHECK(hit->token->secret.Equals("long-secret"));
  Result<CacheSnapshot> all = again->Export();
  REQUIRE_OK(all);
  CHECK(all->access_tokens.size() == 2);
  REQUIRE_OK(again->RemoveAccount("long.t"));
  all = cache->Export();
  REQUIRE_OK(all);
  CHECK(all->access_tokens.empty());
}

// Writes `stored` under `key` with LMDB directly, as another version of
// the store might have.
void PutRaw(internal::LmdbEnv& env, const std::string& key,
            const std::string& stored) {
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env.env(), nullptr, 0, &txn) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{stored.size(), const_cast<char*>(stored.data())};
  REQUIRE(mdb_put(txn, env.dbi(), &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
}

// What LMDB holds under `key`, and whether the value is on an overflow
// page (F_BIGDATA: the leaf node holds only its page number).
std::string GetRaw(internal::LmdbEnv& env, const std::string& key,
                   bool* overflow) {
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env.env(), nullptr, MDB_RDONLY, &txn) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v;
  REQUIRE(mdb_get(txn, env.dbi(), &k, &v) == 0);
  std::string value(static_cast<const char*>(v.mv_data), v.mv_size);
  MDB_stat stat;
  REQUIRE(mdb_env_stat(env.env(), &stat) == 0);
  // An overflow value starts right after a page header, so at a fixed
  // offset from a page boundary; an inline one follows its key in a leaf.
  MDB_envinfo info;
  REQUIRE(mdb_env_info(env.env(), &info) == 0);
  const auto offset = static_cast<std::size_t>(
      static_cast<const char*>(v.mv_data) -
      static_cast<const char*>(info.me_mapaddr));
  *overflow = offset % stat.ms_psize == 16;
  mdb_txn_abort(txn);
  return value;
}

TEST_CASE("Large LMDB values go to overflow pages, small ones stay inline, "
          "and values written inline by earlier versions still read",
          "[lmdb][layout]") {
  test::TempDir dir;
  Result<std::unique_ptr<RecordStore>> store =
      LmdbRecordStore::Open(dir / "env");
  REQUIRE_OK(store);
  Result<std::shared_ptr<internal::LmdbEnv>> env =
      internal::LmdbEnv::Acquire(dir / "env", LmdbOptions());
  REQUIRE_OK(env);
  const std::string token(1200, 't');
  const std::string small(100, 's');
  {
    Result<std::unique_ptr<RecordTransaction>> w = (*store)->BeginWrite();
    REQUIRE_OK(w);
    REQUIRE_OK((*w)->Put("p|token", token));
    REQUIRE_OK((*w)->Put("p|small", small));
    REQUIRE_OK((*w)->Commit());
  }
  bool overflow = false;
  const std::string stored = GetRaw(**env, "p|token", &overflow);
  // Padded only where pages are at most 8 KiB (lmdb_record_store.cc).
  if ((*env)->node_max() <= 4096) {
    CHECK(overflow);
    CHECK(stored.size() == (*env)->node_max());
    CHECK(stored[0] == '\x02');
  } else {
    CHECK_FALSE(overflow);
    CHECK(stored == std::string(1, '\0') + token);
  }
  const std::string inline_value = GetRaw(**env, "p|small", &overflow);
  CHECK_FALSE(overflow);
  CHECK(inline_value == std::string(1, '\0') + small);

  // The layout before padding: tag 0x00, then the value, inline.
  PutRaw(**env, "p|older", std::string(1, '\0') + token);
  GetRaw(**env, "p|older", &overflow);
  CHECK_FALSE(overflow);
  Result<std::unique_ptr<RecordTransaction>> r = (*store)->BeginRead();
  REQUIRE_OK(r);
  for (const char* key : {"p|older", "p|token"}) {
    Result<std::optional<SecretBytes>> got = (*r)->Get(key);
    REQUIRE_OK(got);
    REQUIRE(got->has_value());
    CHECK((*got)->Equals(token));
  }
  std::vector<std::string> keys;
  std::vector<std::size_t> sizes;
  REQUIRE_OK((*r)->ScanMatching(
      "p|", [](std::string_view k) { return k != "p|small"; },
      [&](std::string_view k, std::string_view v) {
        keys.emplace_back(k);
        sizes.push_back(v.size());
        return true;
      }));
  CHECK(keys == std::vector<std::string>{"p|older", "p|token"});
  CHECK(sizes == std::vector<std::size_t>{token.size(), token.size()});
}

TEST_CASE("A key-filtered LMDB scan does not read the values it rejects; a "
          "bad padded header is kCorrupted where it is read",
          "[lmdb][layout]") {
  test::TempDir dir;
  Result<std::unique_ptr<RecordStore>> store =
      LmdbRecordStore::Open(dir / "env");
  REQUIRE_OK(store);
  Result<std::shared_ptr<internal::LmdbEnv>> env =
      internal::LmdbEnv::Acquire(dir / "env", LmdbOptions());
  REQUIRE_OK(env);
  {
    Result<std::unique_ptr<RecordTransaction>> w = (*store)->BeginWrite();
    REQUIRE_OK(w);
    REQUIRE_OK((*w)->Put("p|good", std::string(800, 'g')));
    REQUIRE_OK((*w)->Commit());
  }
  // A padded header whose length overruns the value; and one that nests.
  PutRaw(**env, "p|overrun", std::string("\x02\xff\x00\x00\x00\x00x", 7));
  PutRaw(**env, "p|nested",
         std::string("\x02\x06\x00\x00\x00\x02\x01\x00\x00\x00\x00", 11));
  Result<std::unique_ptr<RecordTransaction>> r = (*store)->BeginRead();
  REQUIRE_OK(r);
  int taken = 0;
  CHECK_OK((*r)->ScanMatching(
      "p|", [](std::string_view k) { return k == "p|good"; },
      [&](std::string_view, std::string_view v) {
        ++taken;
        CHECK(v == std::string(800, 'g'));
        return true;
      }));
  CHECK(taken == 1);
  CHECK((*r)->Scan("p|", [](std::string_view, std::string_view) {
              return true;
            }).code() == Code::kCorrupted);
  for (const char* key : {"p|overrun", "p|nested"}) {
    CHECK((*r)->Get(key).status().code() == Code::kCorrupted);
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("Encrypted LMDB values are bound to their record keys and never "
          "plain on disk (K2, S7)",
          "[lmdb][crypto]") {
  test::TempDir dir;
  Result<std::unique_ptr<Cipher>> made =
      NewKeyCipher(SecretBytes(std::string(32, '\x07')));
  REQUIRE_OK(made);
  std::shared_ptr<const Cipher> cipher(std::move(*made));
  const std::string canary = "CANARY-lmdb-at-rest-7f3e9a";
  auto open = [&](const std::filesystem::path& env, bool encrypt) {
    Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(env);
    REQUIRE_OK(store);
    std::unique_ptr<RecordStore> s = std::move(*store);
    if (encrypt) s = NewEncryptedRecordStore(std::move(s), cipher, "k2-test");
    Result<std::unique_ptr<Cache>> cache =
        Cache::Open(std::move(s), NewBinaryRecordCodec());
    REQUIRE_OK(cache);
    return std::move(*cache);
  };
  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(Token("a.t", "user.read", canary));
  snapshot.access_tokens.push_back(Token("b.t", "user.read", "other"));
  {
    std::unique_ptr<Cache> plain = open(dir / "plain", false);
    REQUIRE_OK(plain->Import(snapshot));
    std::unique_ptr<Cache> sealed = open(dir / "sealed", true);
    REQUIRE_OK(sealed->Import(snapshot));
  }
  // Control first: without a key the canary is on disk.
  CHECK(ReadFile(dir / "plain" / "data.mdb").find(canary) !=
        std::string::npos);
  CHECK(ReadFile(dir / "sealed" / "data.mdb").find(canary) ==
        std::string::npos);

  // Move a's sealed value under b's key with the raw store: b no longer
  // opens (the key is in the associated data).
  const std::string key_a =
      internal::RecordKey(Token("a.t", "user.read", "x"));
  const std::string key_b =
      internal::RecordKey(Token("b.t", "user.read", "x"));
  {
    Result<std::unique_ptr<RecordStore>> raw =
        LmdbRecordStore::Open(dir / "sealed");
    REQUIRE_OK(raw);
    Result<std::unique_ptr<RecordTransaction>> w = (*raw)->BeginWrite();
    REQUIRE_OK(w);
    Result<std::optional<SecretBytes>> a = (*w)->Get(key_a);
    REQUIRE_OK(a);
    REQUIRE(a->has_value());
    REQUIRE_OK((*w)->Put(key_b, (*a)->view()));
    REQUIRE_OK((*w)->Commit());
  }
  std::unique_ptr<Cache> sealed = open(dir / "sealed", true);
  CHECK(sealed->FindAccessToken(Query("b.t", "user.read")).status().code() ==
        Code::kCorrupted);
  Result<AccessTokenLookup> a = sealed->FindAccessToken(Query("a.t", "user.read"));
  REQUIRE_OK(a);
  CHECK(a->state == LookupState::kValid);

  // The wrong key is told apart from tampering.
  Result<std::unique_ptr<Cipher>> other =
      NewKeyCipher(SecretBytes(std::string(32, '\x08')));
  REQUIRE_OK(other);
  Result<std::unique_ptr<RecordStore>> store =
      LmdbRecordStore::Open(dir / "sealed");
  REQUIRE_OK(store);
  Result<std::unique_ptr<Cache>> wrong = Cache::Open(
      NewEncryptedRecordStore(std::move(*store),
                              std::shared_ptr<const Cipher>(std::move(*other)),
                              "k2-test"),
      NewBinaryRecordCodec());
  REQUIRE_OK(wrong);
  CHECK((*wrong)->FindAccessToken(Query("a.t", "user.read")).status().code() ==
        Code::kWrongKey);
}

TEST_CASE("lmdb URIs take the file store's key options and refuse others",
          "[lmdb][uri]") {
  test::TempDir dir;
  const std::string base = "lmdb://" + (dir / "env").string();
  CHECK(OpenCache(base + "?format=binary").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("lmdb:relative/dir").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache(base + "?cache-id=x").status().code() ==
        Code::kInvalidArgument);
  Result<std::unique_ptr<Cache>> keyed = OpenCache(
      base + "?key=file:" + (dir / "cache.key").string() + "&cache-id=app");
  REQUIRE_OK(keyed);
  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(Token("u.t", "user.read", "via-uri"));
  REQUIRE_OK((*keyed)->Import(snapshot));
  Result<AccessTokenLookup> hit =
      (*keyed)->FindAccessToken(Query("u.t", "user.read"));
  REQUIRE_OK(hit);
  CHECK(hit->state == LookupState::kValid);
  CHECK(std::filesystem::exists(dir / "cache.key"));
}

}  // namespace
}  // namespace tokencache
