// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/test/backend_conformance.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "cache-core/record_key.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/binary_record_codec.h"

namespace tokencache {
namespace test {
namespace {

constexpr char kHome[] = "c0ffee00-0000-4000-8000-000000000001.tenant-1";
constexpr char kCounterHome[] = "c0ffee00-0000-4000-8000-00000000c0de.t";
constexpr char kEnvironment[] = "login.windows.net";
constexpr char kClient[] = "11111111-2222-3333-4444-555555555555";
constexpr char kRealm[] = "tenant-1";

// Collects failures with the name of the running check.
class Checker {
 public:
  explicit Checker(ConformanceReport* report) : report_(report) {}

  void Begin(std::string name) {
    check_ = std::move(name);
    ++report_->checks_run;
  }
  bool Expect(bool condition, const std::string& what) {
    if (!condition) report_->failures.push_back(check_ + ": " + what);
    return condition;
  }
  bool ExpectOk(const Status& s, const std::string& what) {
    return Expect(s.ok(), what + " failed: " + s.ToString());
  }
  bool ExpectCode(const Status& s, Code code, const std::string& what) {
    return Expect(s.code() == code, what + " returned " + s.ToString() +
                                        ", expected " + CodeName(code));
  }
  void Skip(const std::string& why) {
    report_->skipped.push_back(check_ + ": " + why);
    --report_->checks_run;
  }

 private:
  ConformanceReport* report_;
  std::string check_;
};

ExtraFields Unknown(const std::string& tag) {
  return {ExtraField{"x_future_" + tag, "{\"nested\":[1,2,\"" + tag + "\"]}"},
          ExtraField{"x_flag_" + tag, "true"}};
}

// One entity of each kind, with fields tokencache does not model.
CacheSnapshot EveryEntity(UnixSeconds now) {
  CacheSnapshot s;
  Account account;
  account.home_account_id = kHome;
  account.environment = kEnvironment;
  account.realm = kRealm;
  account.local_account_id = "local-1";
  account.username = "user@example.com";
  account.authority_type = "MSSTS";
  account.name = "A User";
  account.last_modification_time = now - 5;
  TenantProfile profile;
  profile.tenant_id = kRealm;
  profile.local_account_id = "local-1";
  profile.is_home_tenant = true;
  account.tenant_profiles.push_back(profile);
  account.extra = Unknown("account");
  s.accounts.push_back(account);

  AccessToken at;
  at.home_account_id = kHome;
  at.environment = kEnvironment;
  at.client_id = kClient;
  at.realm = kRealm;
  at.target = "User.Read Mail.Read";
  at.secret = SecretBytes("conformance-canary-access-token");
  at.cached_at = now - 10;
  at.expires_on = now + 3600;
  at.extended_expires_on = now + 7200;
  at.token_type = "Bearer";
  at.extra = Unknown("at");
  s.access_tokens.push_back(at);

  RefreshToken rt;
  rt.home_account_id = kHome;
  rt.environment = kEnvironment;
  rt.client_id = kClient;
  rt.secret = SecretBytes("conformance-canary-refresh-token");
  rt.last_modification_time = now - 10;
  rt.extra = Unknown("rt");
  s.refresh_tokens.push_back(rt);

  IdToken id;
  id.home_account_id = kHome;
  id.environment = kEnvironment;
  id.client_id = kClient;
  id.realm = kRealm;
  id.secret = SecretBytes("conformance-canary-id-token");
  id.extra = Unknown("id");
  s.id_tokens.push_back(id);

  AppMetadata app;
  app.client_id = kClient;
  app.environment = kEnvironment;
  app.family_id = "1";
  app.extra = Unknown("app");
  s.app_metadata.push_back(app);
  return s;
}

// Entities are compared by their binary encoding: every field, secrets and
// unknown fields included, without printing any of them.
template <typename T>
bool SameEntities(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Result<SecretBytes> x = EncodeRecord(a[i]);
    Result<SecretBytes> y = EncodeRecord(b[i]);
    if (!x.ok() || !y.ok() || !x->Equals(*y)) return false;
  }
  return true;
}

void CheckRoundTrip(Checker& c, Cache& cache, Cache& second, UnixSeconds now) {
  c.Begin("round trip of every entity with unknown fields");
  const CacheSnapshot expected = EveryEntity(now);
  if (!c.ExpectOk(cache.Import(expected), "Import")) return;
  for (Cache* handle : {&cache, &second}) {
    Result<CacheSnapshot> got = handle->Export();
    if (!c.ExpectOk(got.status(), "Export")) return;
    const char* which = handle == &cache ? "same handle" : "second handle";
    c.Expect(SameEntities(got->accounts, expected.accounts),
             std::string("accounts differ (") + which + ")");
    c.Expect(SameEntities(got->access_tokens, expected.access_tokens),
             std::string("access tokens differ (") + which + ")");
    c.Expect(SameEntities(got->refresh_tokens, expected.refresh_tokens),
             std::string("refresh tokens differ (") + which + ")");
    c.Expect(SameEntities(got->id_tokens, expected.id_tokens),
             std::string("ID tokens differ (") + which + ")");
    c.Expect(SameEntities(got->app_metadata, expected.app_metadata),
             std::string("app metadata differ (") + which + ")");
  }

  c.Begin("silent lookup finds the stored access token");
  AccessTokenQuery query;
  query.home_account_id = kHome;
  query.environment = "login.microsoftonline.com";  // an alias
  query.client_id = kClient;
  query.realm = kRealm;
  query.scopes = {"user.read"};
  Result<AccessTokenLookup> hit = second.FindAccessToken(query);
  if (c.ExpectOk(hit.status(), "FindAccessToken")) {
    c.Expect(hit->state == LookupState::kValid && hit->token.has_value() &&
                 hit->token->secret.Equals(
                     expected.access_tokens[0].secret),
             "the lookup did not return the stored token");
  }
  query.scopes = {"files.read"};
  hit = second.FindAccessToken(query);
  if (c.ExpectOk(hit.status(), "FindAccessToken")) {
    c.Expect(hit->state == LookupState::kNotFound,
             "a scope the token lacks was served");
  }
  RefreshTokenQuery rt_query;
  rt_query.home_account_id = kHome;
  rt_query.environment = kEnvironment;
  rt_query.client_id = kClient;
  Result<RefreshTokenLookup> rt = second.FindRefreshToken(rt_query);
  if (c.ExpectOk(rt.status(), "FindRefreshToken")) {
    c.Expect(rt->app_token.has_value(), "the refresh token was not found");
    c.Expect(rt->membership == FociMembership::kMember,
             "family membership was not read back");
  }

  c.Begin("removing an account is seen by the other handle");
  if (!c.ExpectOk(cache.RemoveAccount(kHome), "RemoveAccount")) return;
  Result<std::vector<Account>> accounts = second.GetAccounts();
  if (c.ExpectOk(accounts.status(), "GetAccounts")) {
    c.Expect(accounts->empty(), "the removed account is still listed");
  }
  rt = second.FindRefreshToken(rt_query);
  if (c.ExpectOk(rt.status(), "FindRefreshToken")) {
    c.Expect(!rt->app_token.has_value(), "the removed RT is still found");
  }
}

Account CounterAccount(UnixSeconds value) {
  Account account;
  account.home_account_id = kCounterHome;
  account.environment = kEnvironment;
  account.realm = "t";
  account.last_modification_time = value;
  return account;
}

// One read-increment-write of the counter through the transactional API.
Status Increment(Cache& cache) {
  return cache.Update([](CacheTransaction& txn) {
    AccountFilter filter;
    filter.home_account_id = kCounterHome;
    std::vector<Account> accounts = txn.GetAccounts(filter);
    const UnixSeconds value =
        accounts.empty() ? 0 : accounts[0].last_modification_time;
    CacheSnapshot snapshot;
    snapshot.accounts.push_back(CounterAccount(value + 1));
    txn.Import(snapshot);
    return Status();
  });
}

// Increments, taking kConflict as "try again": a store without a lock
// (several handles on one memory record store) resolves concurrent writers
// optimistically, and Cache::Update gives up after a few conflicts in a row
// by design. The check is that no acknowledged update is lost, so a caller
// retrying a conflict is the usage to model; any other error still counts.
Status IncrementRetryingConflicts(Cache& cache) {
  Status s = Increment(cache);
  for (int attempt = 0; s.code() == Code::kConflict && attempt < 100;
       ++attempt) {
    std::this_thread::yield();
    s = Increment(cache);
  }
  return s;
}

Result<UnixSeconds> ReadCounter(Cache& cache) {
  AccountFilter filter;
  filter.home_account_id = kCounterHome;
  Result<std::vector<Account>> accounts = cache.GetAccounts(filter);
  if (!accounts.ok()) return accounts.status();
  return accounts->empty() ? 0 : (*accounts)[0].last_modification_time;
}

using CacheOpener = std::function<Result<std::unique_ptr<Cache>>()>;

void CheckConcurrency(Checker& c, const CacheOpener& open, Cache& observer,
                      const ConformanceOptions& options) {
  const int writers = std::max(1, options.writers);
  const int increments = std::max(1, options.increments);
  Result<UnixSeconds> start = ReadCounter(observer);
  if (!start.ok()) {
    c.Begin("concurrent writers");
    c.ExpectOk(start.status(), "reading the counter");
    return;
  }

  c.Begin("concurrent writers in threads lose no update");
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&] {
      Result<std::unique_ptr<Cache>> cache = open();
      if (!cache.ok()) {
        ++errors;
        return;
      }
      for (int i = 0; i < increments; ++i) {
        if (!IncrementRetryingConflicts(**cache).ok()) ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  c.Expect(errors == 0, std::to_string(errors.load()) + " updates failed");
  Result<UnixSeconds> after = ReadCounter(observer);
  if (c.ExpectOk(after.status(), "reading the counter")) {
    c.Expect(*after - *start == writers * increments,
             "counter advanced by " + std::to_string(*after - *start) +
                 ", expected " + std::to_string(writers * increments));
    start = after;
  }

  c.Begin("concurrent writers in processes lose no update");
  if (!options.multiprocess) {
    c.Skip("multiprocess is off in ConformanceOptions");
    return;
  }
  std::vector<pid_t> children;
  for (int p = 0; p < writers; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      Result<std::unique_ptr<Cache>> cache = open();
      if (!cache.ok()) code = 2;
      for (int i = 0; code == 0 && i < increments; ++i) {
        if (!IncrementRetryingConflicts(**cache).ok()) code = 3;
      }
      // No destructors, no atexit: this child shares the parent's heap.
      _exit(code);
    }
    if (!c.Expect(pid > 0, "fork failed")) break;
    children.push_back(pid);
  }
  int failed_children = 0;
  for (pid_t pid : children) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed_children;
  }
  c.Expect(failed_children == 0,
           std::to_string(failed_children) + " writer processes failed");
  after = ReadCounter(observer);
  if (c.ExpectOk(after.status(), "reading the counter")) {
    c.Expect(*after - *start ==
                 static_cast<UnixSeconds>(children.size()) * increments,
             "counter advanced by " + std::to_string(*after - *start) +
                 ", expected " +
                 std::to_string(static_cast<long long>(children.size()) *
                                increments));
  }
}

std::string Pattern(std::size_t size) {
  std::string value(size, '\0');
  std::uint32_t x = 2463534242u;
  for (char& ch : value) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    ch = static_cast<char>(x & 0xff);
  }
  return value;
}

void CheckRecordPrimitives(Checker& c, RecordStore& store,
                           RecordStore& second,
                           const ConformanceOptions& options) {
  c.Begin("an empty store has nothing");
  {
    Result<std::unique_ptr<RecordTransaction>> r = store.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    Result<std::optional<SecretBytes>> got = (*r)->Get("k|missing");
    if (c.ExpectOk(got.status(), "Get")) {
      c.Expect(!got->has_value(), "a missing key has a value");
    }
    int seen = 0;
    c.ExpectOk((*r)->Scan("", [&](std::string_view, std::string_view) {
      ++seen;
      return true;
    }), "Scan");
    c.Expect(seen == 0, "an empty store scanned records");
  }

  c.Begin("writes are private until commit, then visible to all handles");
  std::uint64_t g0 = 0;
  {
    Result<std::unique_ptr<RecordTransaction>> before = store.BeginRead();
    Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
    if (!c.ExpectOk(before.status(), "BeginRead") ||
        !c.ExpectOk(w.status(), "BeginWrite")) {
      return;
    }
    g0 = (*before)->generation();
    c.Expect((*w)->generation() == g0, "write and read generations differ");
    c.ExpectOk((*w)->Put("k|one", "1"), "Put");
    Result<std::optional<SecretBytes>> own = (*w)->Get("k|one");
    c.Expect(own.ok() && own->has_value() && (*own)->Equals("1"),
             "a write transaction does not see its own Put");
    Result<std::uint64_t> g1 = (*w)->Commit();
    if (!c.ExpectOk(g1.status(), "Commit")) return;
    c.Expect(*g1 != g0, "a commit that wrote kept the generation");
    Result<std::optional<SecretBytes>> old = (*before)->Get("k|one");
    c.Expect(old.ok() && !old->has_value(),
             "a read transaction begun before the commit saw it");
    Result<std::unique_ptr<RecordTransaction>> after = second.BeginRead();
    if (c.ExpectOk(after.status(), "BeginRead (second handle)")) {
      c.Expect((*after)->generation() == *g1,
               "the second handle reads another generation");
      Result<std::optional<SecretBytes>> seen = (*after)->Get("k|one");
      c.Expect(seen.ok() && seen->has_value() && (*seen)->Equals("1"),
               "the second handle does not see the commit");
    }
  }

  c.Begin("prefix scans return exactly the prefix, in byte order");
  {
    Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
    if (!c.ExpectOk(w.status(), "BeginWrite")) return;
    for (const char* key : {"p|b", "p|a", "p|a|2", "p|a|10", "p", "pa|x",
                            "q|a", "o|z"}) {
      c.ExpectOk((*w)->Put(key, key), "Put");
    }
    std::vector<std::string> own;
    c.ExpectOk((*w)->Scan("p|a", [&](std::string_view k, std::string_view) {
      own.emplace_back(k);
      return true;
    }), "Scan in the write transaction");
    c.Expect(own == std::vector<std::string>{"p|a", "p|a|10", "p|a|2"},
             "a write transaction's scan missed its own writes");
    if (!c.ExpectOk((*w)->Commit().status(), "Commit")) return;
    Result<std::unique_ptr<RecordTransaction>> r = second.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    std::vector<std::string> keys;
    bool values_match = true;
    c.ExpectOk((*r)->Scan("p|", [&](std::string_view k, std::string_view v) {
      keys.emplace_back(k);
      values_match = values_match && k == v;
      return true;
    }), "Scan");
    c.Expect(keys == std::vector<std::string>{"p|a", "p|a|10", "p|a|2", "p|b"},
             "scan of 'p|' returned the wrong keys or order");
    c.Expect(values_match, "scan paired a key with another key's value");
    std::vector<std::string> all;
    c.ExpectOk((*r)->Scan("", [&](std::string_view k, std::string_view) {
      all.emplace_back(k);
      return true;
    }), "Scan of everything");
    c.Expect(std::is_sorted(all.begin(), all.end()) && all.size() == 9,
             "a full scan is not the 9 records in order");
    int calls = 0;
    c.ExpectOk((*r)->Scan("p|", [&](std::string_view, std::string_view) {
      return ++calls < 2;
    }), "Scan stopped early");
    c.Expect(calls == 2, "a scan went on after its callback said stop");
    std::vector<std::string> matching;
    values_match = true;
    c.ExpectOk((*r)->ScanMatching(
                   "p|",
                   [](std::string_view k) { return k.back() != 'b'; },
                   [&](std::string_view k, std::string_view v) {
                     matching.emplace_back(k);
                     values_match = values_match && k == v;
                     return true;
                   }),
               "ScanMatching");
    c.Expect(matching == std::vector<std::string>{"p|a", "p|a|10", "p|a|2"},
             "ScanMatching did not return exactly the accepted keys in "
             "order");
    c.Expect(values_match, "ScanMatching paired a key with another value");
  }

  c.Begin("erase removes, erasing a missing key is fine");
  {
    Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
    if (!c.ExpectOk(w.status(), "BeginWrite")) return;
    c.ExpectOk((*w)->Erase("p|b"), "Erase");
    c.ExpectOk((*w)->Erase("p|never-there"), "Erase of a missing key");
    Result<std::optional<SecretBytes>> own = (*w)->Get("p|b");
    c.Expect(own.ok() && !own->has_value(),
             "a write transaction still sees what it erased");
    if (!c.ExpectOk((*w)->Commit().status(), "Commit")) return;
    Result<std::unique_ptr<RecordTransaction>> r = second.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    Result<std::optional<SecretBytes>> got = (*r)->Get("p|b");
    c.Expect(got.ok() && !got->has_value(), "an erased record came back");
  }

  c.Begin("a commit against a stale generation is refused (CAS)");
  {
    Result<std::unique_ptr<RecordTransaction>> r = store.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    const std::uint64_t stale = (*r)->generation();
    r->reset();
    Result<std::unique_ptr<RecordTransaction>> w1 = second.BeginWrite();
    if (!c.ExpectOk(w1.status(), "BeginWrite")) return;
    c.ExpectOk((*w1)->Put("cas|k", "first"), "Put");
    Result<std::uint64_t> g1 = (*w1)->Commit();
    if (!c.ExpectOk(g1.status(), "Commit")) return;
    w1->reset();
    Result<std::unique_ptr<RecordTransaction>> w2 = store.BeginWrite();
    if (!c.ExpectOk(w2.status(), "BeginWrite")) return;
    c.ExpectOk((*w2)->Put("cas|k", "second"), "Put");
    c.ExpectCode((*w2)->Commit(stale).status(), Code::kConflict,
                 "Commit with a stale expected generation");
    w2->reset();
    Result<std::unique_ptr<RecordTransaction>> check = store.BeginRead();
    if (!c.ExpectOk(check.status(), "BeginRead")) return;
    Result<std::optional<SecretBytes>> got = (*check)->Get("cas|k");
    c.Expect(got.ok() && got->has_value() && (*got)->Equals("first"),
             "a refused commit wrote anyway");
    c.Expect((*check)->generation() == *g1,
             "a refused commit changed the generation");

    c.Begin("a commit that writes nothing keeps the generation");
    Result<std::unique_ptr<RecordTransaction>> idle = store.BeginWrite();
    if (!c.ExpectOk(idle.status(), "BeginWrite")) return;
    Result<std::uint64_t> same = (*idle)->Commit();
    if (c.ExpectOk(same.status(), "Commit")) {
      c.Expect(*same == *g1, "an empty commit changed the generation");
    }
  }

  c.Begin("misuse is reported as kInvalidArgument");
  {
    Result<std::unique_ptr<RecordTransaction>> r = store.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    c.ExpectCode((*r)->Put("k", "v"), Code::kInvalidArgument,
                 "Put on a read transaction");
    c.ExpectCode((*r)->Erase("k"), Code::kInvalidArgument,
                 "Erase on a read transaction");
    c.ExpectCode((*r)->Commit().status(), Code::kInvalidArgument,
                 "Commit of a read transaction");
    r->reset();
    Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
    if (!c.ExpectOk(w.status(), "BeginWrite")) return;
    c.ExpectCode((*w)->Put("", "v"), Code::kInvalidArgument,
                 "Put with an empty key");
    c.ExpectOk((*w)->Commit().status(), "Commit");
    c.ExpectCode((*w)->Commit().status(), Code::kInvalidArgument,
                 "a second Commit");
  }

  c.Begin("large values round trip byte for byte");
  {
    const std::string big = Pattern(options.large_value_bytes);
    Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
    if (!c.ExpectOk(w.status(), "BeginWrite")) return;
    c.ExpectOk((*w)->Put("big|1", big), "Put of a large value");
    if (!c.ExpectOk((*w)->Commit().status(), "Commit")) return;
    Result<std::unique_ptr<RecordTransaction>> r = second.BeginRead();
    if (!c.ExpectOk(r.status(), "BeginRead")) return;
    Result<std::optional<SecretBytes>> got = (*r)->Get("big|1");
    c.Expect(got.ok() && got->has_value() && (*got)->Equals(big),
             "the large value came back different");
  }

  // Leave the record space to the cache checks.
  Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
  if (!c.ExpectOk(w.status(), "BeginWrite (cleanup)")) return;
  std::vector<std::string> keys;
  c.ExpectOk((*w)->Scan("", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }), "Scan (cleanup)");
  for (const std::string& key : keys) c.ExpectOk((*w)->Erase(key), "Erase");
  c.ExpectOk((*w)->Commit().status(), "Commit (cleanup)");
}

void CheckCorruptRecord(Checker& c, RecordStore& store, Cache& cache,
                        UnixSeconds now) {
  c.Begin("a corrupt record is kCorrupted, left in place, others readable");
  AccessToken bad;
  bad.home_account_id = "corrupt.tenant";
  bad.environment = kEnvironment;
  bad.client_id = kClient;
  bad.realm = kRealm;
  bad.target = "user.read";
  const std::string key = internal::RecordKey(bad);
  const std::string garbage = "not a record \x01\x02";
  Result<std::unique_ptr<RecordTransaction>> w = store.BeginWrite();
  if (!c.ExpectOk(w.status(), "BeginWrite")) return;
  c.ExpectOk((*w)->Put(key, garbage), "Put");
  if (!c.ExpectOk((*w)->Commit().status(), "Commit")) return;
  w->reset();

  AccessTokenQuery query;
  query.home_account_id = bad.home_account_id;
  query.environment = kEnvironment;
  query.client_id = kClient;
  query.realm = kRealm;
  query.scopes = {"user.read"};
  c.ExpectCode(cache.FindAccessToken(query).status(), Code::kCorrupted,
               "a lookup over a corrupt record");
  CacheSnapshot other = EveryEntity(now);
  c.ExpectOk(cache.Import(other), "writing another partition");
  query.home_account_id = kHome;
  Result<AccessTokenLookup> fine = cache.FindAccessToken(query);
  c.Expect(fine.ok() && fine->state == LookupState::kValid,
           "a healthy partition is unreadable next to a corrupt one");
  // An update that would have to read the corrupt record refuses.
  c.ExpectCode(cache.RemoveAccount(bad.home_account_id), Code::kCorrupted,
               "removing the account of a corrupt record");
  Result<std::unique_ptr<RecordTransaction>> r = store.BeginRead();
  if (!c.ExpectOk(r.status(), "BeginRead")) return;
  Result<std::optional<SecretBytes>> kept = (*r)->Get(key);
  c.Expect(kept.ok() && kept->has_value() && (*kept)->Equals(garbage),
           "the corrupt bytes were not left in place");
  r->reset();
  w = store.BeginWrite();
  if (!c.ExpectOk(w.status(), "BeginWrite")) return;
  c.ExpectOk((*w)->Erase(key), "Erase");
  c.ExpectOk((*w)->Commit().status(), "Commit");
  c.ExpectOk(cache.RemoveAccount(kHome), "RemoveAccount");
}

UnixSeconds Now() { return SystemClock()->Now(); }

}  // namespace

std::string ConformanceReport::ToString() const {
  std::ostringstream out;
  for (const std::string& f : failures) out << "FAIL " << f << "\n";
  for (const std::string& s : skipped) out << "SKIP " << s << "\n";
  out << checks_run << " checks run, " << failures.size() << " failed, "
      << skipped.size() << " skipped\n";
  return out.str();
}

ConformanceReport RunRecordStoreConformance(
    const RecordStoreFactory& factory, const ConformanceOptions& options) {
  ConformanceReport report;
  Checker c(&report);
  c.Begin("opening two handles");
  Result<std::unique_ptr<RecordStore>> first = factory();
  Result<std::unique_ptr<RecordStore>> second = factory();
  if (!c.ExpectOk(first.status(), "factory") ||
      !c.ExpectOk(second.status(), "factory (second handle)")) {
    return report;
  }
  CheckRecordPrimitives(c, **first, **second, options);

  auto open = [&]() -> Result<std::unique_ptr<Cache>> {
    Result<std::unique_ptr<RecordStore>> store = factory();
    if (!store.ok()) return store.status();
    return Cache::Open(std::move(*store), NewBinaryRecordCodec());
  };
  c.Begin("opening caches");
  Result<std::unique_ptr<Cache>> cache = open();
  Result<std::unique_ptr<Cache>> other = open();
  if (!c.ExpectOk(cache.status(), "Cache::Open") ||
      !c.ExpectOk(other.status(), "Cache::Open (second)")) {
    return report;
  }
  const UnixSeconds now = Now();
  CheckRoundTrip(c, **cache, **other, now);
  CheckCorruptRecord(c, **first, **cache, now);
  CheckConcurrency(c, open, **other, options);
  return report;
}

ConformanceReport RunBlobStoreConformance(const BlobStoreFactory& factory,
                                          const LockFactory& lock,
                                          const ConformanceOptions& options) {
  ConformanceReport report;
  Checker c(&report);
  c.Begin("opening two handles");
  Result<std::unique_ptr<BlobStore>> first = factory();
  Result<std::unique_ptr<BlobStore>> second = factory();
  if (!c.ExpectOk(first.status(), "factory") ||
      !c.ExpectOk(second.status(), "factory (second handle)")) {
    return report;
  }
  BlobStore& a = **first;
  BlobStore& b = **second;

  c.Begin("an empty store has nothing and an empty version");
  Result<std::optional<Blob>> empty = a.Read();
  if (c.ExpectOk(empty.status(), "Read")) {
    c.Expect(!empty->has_value(), "an empty store returned bytes");
  }
  Result<BlobVersion> v0 = a.PeekVersion();
  if (c.ExpectOk(v0.status(), "PeekVersion")) {
    c.Expect(v0->opaque.empty(), "an empty store has a version");
  }

  c.Begin("a write is read back by both handles with its version");
  Result<BlobVersion> v1 = a.Write("first bytes", std::nullopt);
  if (!c.ExpectOk(v1.status(), "Write")) return report;
  Result<std::optional<Blob>> got = b.Read();
  if (c.ExpectOk(got.status(), "Read (second handle)")) {
    c.Expect(got->has_value() && (*got)->bytes.Equals("first bytes"),
             "the second handle read other bytes");
    c.Expect(got->has_value() && (*got)->version == *v1,
             "the second handle read another version");
  }
  Result<BlobVersion> peek = b.PeekVersion();
  c.Expect(peek.ok() && *peek == *v1, "PeekVersion disagrees with Write");

  c.Begin("a write against a stale version is refused (CAS)");
  Result<BlobVersion> v2 = b.Write("second bytes", *v1);
  if (c.ExpectOk(v2.status(), "Write with the current version")) {
    c.Expect(*v2 != *v1, "a write kept the version");
    c.ExpectCode(a.Write("stale bytes", *v1).status(), Code::kConflict,
                 "Write with a stale version");
    got = a.Read();
    c.Expect(got.ok() && got->has_value() &&
                 (*got)->bytes.Equals("second bytes"),
             "a refused write changed the bytes");
  }

  c.Begin("large values round trip byte for byte");
  const std::string big = Pattern(options.large_value_bytes);
  Result<BlobVersion> v3 = a.Write(big, std::nullopt);
  if (c.ExpectOk(v3.status(), "Write of a large value")) {
    got = b.Read();
    c.Expect(got.ok() && got->has_value() && (*got)->bytes.Equals(big),
             "the large value came back different");
  }

  c.Begin("corrupt stored bytes are kCorrupted and left in place");
  const std::string garbage = "\xc1\x53 not a snapshot";
  Result<BlobVersion> v4 = a.Write(garbage, std::nullopt);
  if (c.ExpectOk(v4.status(), "Write")) {
    Result<std::unique_ptr<BlobStore>> third = factory();
    if (c.ExpectOk(third.status(), "factory (third handle)")) {
      c.ExpectCode(Cache::Open(std::move(*third), NewBinarySerializer(),
                               nullptr)
                       .status(),
                   Code::kCorrupted, "Cache::Open over corrupt bytes");
    }
    got = b.Read();
    c.Expect(got.ok() && got->has_value() && (*got)->bytes.Equals(garbage),
             "the corrupt bytes were not left in place");
  }
  // Start the cache checks from an empty cache.
  c.ExpectOk(a.Write("", std::nullopt).status(), "Write (reset)");

  auto open = [&]() -> Result<std::unique_ptr<Cache>> {
    Result<std::unique_ptr<BlobStore>> store = factory();
    if (!store.ok()) return store.status();
    std::unique_ptr<Lock> cache_lock;
    if (lock) {
      Result<std::unique_ptr<Lock>> made = lock();
      if (!made.ok()) return made.status();
      cache_lock = std::move(*made);
    }
    return Cache::Open(std::move(*store), NewBinarySerializer(),
                       std::move(cache_lock));
  };
  c.Begin("opening caches");
  Result<std::unique_ptr<Cache>> cache = open();
  Result<std::unique_ptr<Cache>> other = open();
  if (!c.ExpectOk(cache.status(), "Cache::Open") ||
      !c.ExpectOk(other.status(), "Cache::Open (second)")) {
    return report;
  }
  CheckRoundTrip(c, **cache, **other, Now());
  if (!lock) {
    c.Begin("concurrent writers");
    c.Skip("no lock factory: blob stores need the cache lock for writers");
    return report;
  }
  CheckConcurrency(c, open, **other, options);
  return report;
}

}  // namespace test
}  // namespace tokencache
