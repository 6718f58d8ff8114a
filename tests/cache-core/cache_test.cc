// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The Cache class: accounts, removal, import/export, persistence through a
// BlobStore + Serializer, transactions with conflicts and failures, and
// concurrent use.

#include "tokencache/cache.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backends/memory/memory_blob_store.h"
#include "tests/cache-core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace tokencache {
namespace {

using test::Alice;
using test::Bob;
using test::Faults;
using test::FaultyBlobStore;
using test::HandleSerializer;
using test::UserContext;
using test::UserResponse;

constexpr UnixSeconds kNow = 1'700'000'000;

CacheOptions Options(std::shared_ptr<const Clock> clock) {
  CacheOptions options;
  options.clock = std::move(clock);
  return options;
}

std::unique_ptr<Cache> OpenOver(std::shared_ptr<MemoryBlobStore::Slot> slot,
                                std::shared_ptr<Faults> faults,
                                std::shared_ptr<const Clock> clock) {
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::make_unique<FaultyBlobStore>(slot, faults),
                  std::make_unique<HandleSerializer>(), nullptr,
                  Options(std::move(clock)));
  REQUIRE_OK(cache);
  return std::move(*cache);
}

AccessTokenQuery AliceQuery(std::vector<std::string> scopes) {
  AccessTokenQuery q;
  q.home_account_id = Alice().home();
  q.environment = "login.microsoftonline.com";
  q.client_id = "app-1";
  q.realm = Alice().utid;
  q.scopes = std::move(scopes);
  return q;
}

Status SignIn(Cache& cache, const test::User& user, const std::string& scope,
              const std::string& at, const std::string& tenant = "") {
  const std::string t = tenant.empty() ? user.utid : tenant;
  return cache.ApplyTokenResponse(UserContext(t),
                                  UserResponse(user, t, scope, at));
}

std::size_t CountFor(const CacheSnapshot& s, const std::string& home) {
  std::size_t n = 0;
  for (const auto& e : s.access_tokens) n += e.home_account_id == home;
  for (const auto& e : s.refresh_tokens) n += e.home_account_id == home;
  for (const auto& e : s.id_tokens) n += e.home_account_id == home;
  for (const auto& e : s.accounts) n += e.home_account_id == home;
  return n;
}

TEST_CASE("RemoveAccount removes the account's records in every alias",
          "[core][cache][remove]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Cache> cache = Cache::NewInMemory(Options(clock));
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "a1"));
  REQUIRE_OK(SignIn(*cache, Bob(), "User.Read", "b1"));
  // Records another library wrote under other aliases of the public cloud.
  CacheSnapshot foreign;
  AccessToken at;
  at.home_account_id = Alice().home();
  at.environment = "login.microsoftonline.com";
  at.client_id = "other-app";
  at.realm = Alice().utid;
  at.target = "Files.Read";
  at.expires_on = kNow + 3600;
  foreign.access_tokens.push_back(at);
  RefreshToken rt;
  rt.home_account_id = Alice().home();
  rt.environment = "login.microsoft.com";
  rt.client_id = "other-app";
  foreign.refresh_tokens.push_back(rt);
  Account account;
  account.home_account_id = Alice().home();
  account.environment = "sts.windows.net";
  account.realm = "guest-tenant";
  foreign.accounts.push_back(account);
  REQUIRE_OK(cache->Import(foreign));

  REQUIRE_OK(cache->RemoveAccount("ALICE-UID.contoso-tid"));
  Result<CacheSnapshot> s = cache->Export();
  REQUIRE_OK(s);
  CHECK(CountFor(*s, Alice().home()) == 0);
  CHECK(CountFor(*s, Bob().home()) == 4);  // AT, RT, ID token, account.
  CHECK(s->app_metadata.size() == 1);      // Kept, as in every MSAL.

  SECTION("removing an unknown account is fine") {
    REQUIRE_OK(cache->RemoveAccount("nobody"));
  }
}

TEST_CASE("GetAccounts lists accounts, filtered by home, cloud and username",
          "[core][cache][accounts]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Cache> cache = Cache::NewInMemory(Options(clock));
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "a1"));
  REQUIRE_OK(SignIn(*cache, Bob(), "User.Read", "b1"));
  Result<std::vector<Account>> all = cache->GetAccounts();
  REQUIRE_OK(all);
  CHECK(all->size() == 2);

  AccountFilter by_name;
  by_name.username = "ALICE@contoso.example";
  Result<std::vector<Account>> alice = cache->GetAccounts(by_name);
  REQUIRE_OK(alice);
  REQUIRE(alice->size() == 1);
  CHECK(alice->at(0).home_account_id == Alice().home());

  AccountFilter by_home;
  by_home.home_account_id = Bob().home();
  CHECK(cache->GetAccounts(by_home)->size() == 1);

  AccountFilter by_alias;
  by_alias.environment = "login.microsoft.com";
  CHECK(cache->GetAccounts(by_alias)->size() == 2);
  by_alias.environment = "login.microsoftonline.us";
  CHECK(cache->GetAccounts(by_alias)->empty());
}

TEST_CASE("Import merges, de-duplicating one identity under foreign spellings",
          "[core][cache][import]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Cache> cache = Cache::NewInMemory(Options(clock));
  CacheSnapshot snap;
  RefreshToken net;  // As NET writes it: family key, preferred_cache.
  net.home_account_id = Alice().home();
  net.environment = "login.windows.net";
  net.client_id = "app-1";
  net.secret = SecretBytes("rt-net");
  net.last_modification_time = 100;
  net.extra = {{"net_only", "1"}};
  RefreshToken py = net;  // As PY writes it: configured host, upper case.
  py.home_account_id = "ALICE-UID.CONTOSO-TID";
  py.environment = "login.microsoftonline.com";
  py.secret = SecretBytes("rt-py-newer");
  py.last_modification_time = 200;
  py.extra = {{"py_only", "2"}};
  snap.refresh_tokens = {net, py};
  AccessToken at1;
  at1.home_account_id = Alice().home();
  at1.environment = "login.microsoftonline.com";
  at1.client_id = "app-1";
  at1.realm = Alice().utid;
  at1.target = "User.Read Mail.Read";
  at1.secret = SecretBytes("at-newer");
  at1.cached_at = kNow - 10;
  at1.expires_on = kNow + 3600;
  AccessToken at2 = at1;
  at2.environment = "login.windows.net";
  at2.target = "mail.read user.read";
  at2.secret = SecretBytes("at-older");
  at2.cached_at = kNow - 100;
  snap.access_tokens = {at1, at2};
  snap.unknown_sections = {{"SomeFutureSection", "{\"a\":1}"}};
  REQUIRE_OK(cache->Import(snap));

  Result<CacheSnapshot> out = cache->Export();
  REQUIRE_OK(out);
  REQUIRE(out->refresh_tokens.size() == 1);
  CHECK(out->refresh_tokens[0].secret.view() == "rt-py-newer");
  CHECK(out->refresh_tokens[0].extra ==
        ExtraFields{{"py_only", "2"}, {"net_only", "1"}});
  REQUIRE(out->access_tokens.size() == 1);
  CHECK(out->access_tokens[0].secret.view() == "at-newer");
  CHECK(out->unknown_sections == snap.unknown_sections);

  SECTION("unknown sections merge by name, incoming wins") {
    CacheSnapshot more;
    more.unknown_sections = {{"SomeFutureSection", "{\"a\":2}"},
                             {"Other", "[]"}};
    REQUIRE_OK(cache->Import(more));
    Result<CacheSnapshot> merged = cache->Export();
    REQUIRE_OK(merged);
    CHECK(merged->unknown_sections ==
          ExtraFields{{"SomeFutureSection", "{\"a\":2}"}, {"Other", "[]"}});
  }
}

TEST_CASE("Open loads what the store holds and writes go back to it",
          "[core][cache][persistence]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> writer = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*writer, Alice(), "User.Read", "persisted"));
  CHECK(faults->writes == 1);

  std::unique_ptr<Cache> reader = OpenOver(slot, faults, clock);
  Result<AccessTokenLookup> hit = reader->FindAccessToken(
      AliceQuery({"User.Read"}));
  REQUIRE_OK(hit);
  CHECK(hit->state == LookupState::kValid);
  CHECK(hit->token->secret.view() == "persisted");
}

TEST_CASE("Reads do not re-read the store while its version is unchanged",
          "[core][cache][persistence][hot_path]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> a = OpenOver(slot, faults, clock);
  std::unique_ptr<Cache> b = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*a, Alice(), "User.Read", "v1"));

  const int reads_before = faults->reads;
  for (int i = 0; i < 10; ++i) {
    REQUIRE_OK(a->FindAccessToken(AliceQuery({"User.Read"})));
  }
  // `a` wrote the current version itself: no reload at all.
  CHECK(faults->reads == reads_before);

  REQUIRE_OK(b->FindAccessToken(AliceQuery({"User.Read"})));
  CHECK(faults->reads == reads_before + 1);  // `b` reloads once...
  for (int i = 0; i < 10; ++i) {
    REQUIRE_OK(b->FindAccessToken(AliceQuery({"User.Read"})));
  }
  CHECK(faults->reads == reads_before + 1);  // ...and then only peeks.

  // Another writer changes the store: the next read sees it.
  REQUIRE_OK(a->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "v2")));
  Result<AccessTokenLookup> fresh = b->FindAccessToken(AliceQuery({"User.Read"}));
  REQUIRE_OK(fresh);
  CHECK(fresh->token->secret.view() == "v2");
}

TEST_CASE("An update reloads a changed store before mutating",
          "[core][cache][transaction]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> a = OpenOver(slot, faults, clock);
  std::unique_ptr<Cache> b = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*a, Alice(), "User.Read", "alice"));
  REQUIRE_OK(SignIn(*b, Bob(), "User.Read", "bob"));  // b had not read yet.
  std::unique_ptr<Cache> c = OpenOver(slot, faults, clock);
  Result<std::vector<Account>> accounts = c->GetAccounts();
  REQUIRE_OK(accounts);
  CHECK(accounts->size() == 2);  // Neither writer lost the other's data.
}

TEST_CASE("A conflicting writer makes the update reload and run again",
          "[core][cache][transaction][conflict]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  // What the intruding process writes: Bob's sign-in.
  {
    auto other_slot = std::make_shared<MemoryBlobStore::Slot>();
    std::unique_ptr<Cache> other =
        OpenOver(other_slot, std::make_shared<Faults>(), clock);
    REQUIRE_OK(SignIn(*other, Bob(), "User.Read", "bob"));
    faults->intruder_bytes = std::string(other_slot->bytes->view());
  }
  std::unique_ptr<Cache> cache = OpenOver(slot, faults, clock);
  faults->intrude_before_writes = 1;
  int runs = 0;
  Status s = cache->Update([&](CacheTransaction& txn) {
    ++runs;
    return txn.ApplyTokenResponse(
        UserContext(Alice().utid),
        UserResponse(Alice(), Alice().utid, "User.Read", "alice"));
  });
  REQUIRE_OK(s);
  CHECK(runs == 2);
  Result<std::vector<Account>> accounts = cache->GetAccounts();
  REQUIRE_OK(accounts);
  CHECK(accounts->size() == 2);  // Bob's write survived, Alice's landed.

  SECTION("endless conflicts give up with kConflict and change nothing") {
    faults->intrude_before_writes = 100;
    runs = 0;
    Status gave_up = cache->Update([&](CacheTransaction& txn) {
      ++runs;
      txn.RemoveAccount(Bob().home());
      return Status();
    });
    CHECK(gave_up.code() == Code::kConflict);
    CHECK(runs == CacheOptions().max_conflict_retries + 1);
  }
}

TEST_CASE("A failed write leaves memory equal to the store's last state",
          "[core][cache][transaction][rollback]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> cache = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "old"));

  faults->fail_writes = 1;
  faults->write_error = Code::kResourceExhausted;
  Status s = SignIn(*cache, Alice(), "User.Read", "new");
  CHECK(s.code() == Code::kResourceExhausted);
  Result<AccessTokenLookup> hit = cache->FindAccessToken(
      AliceQuery({"User.Read"}));
  REQUIRE_OK(hit);
  CHECK(hit->token->secret.view() == "old");

  faults->fail_writes = 1;
  CHECK_FALSE(cache->RemoveAccount(Alice().home()).ok());
  CHECK(cache->GetAccounts()->size() == 1);

  SECTION("the next write succeeds normally") {
    REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "new"));
    CHECK(cache->FindAccessToken(AliceQuery({"User.Read"}))
              ->token->secret.view() == "new");
  }
}

TEST_CASE("A callback error rolls the transaction back and writes nothing",
          "[core][cache][transaction][rollback]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> cache = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "a"));
  const int writes = faults->writes;
  Status s = cache->Update([](CacheTransaction& txn) {
    txn.RemoveAccount(Alice().home());
    return Status(Code::kInvalidArgument, "changed my mind");
  });
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(faults->writes == writes);
  CHECK(cache->GetAccounts()->size() == 1);

  SECTION("an update that changes nothing does not write") {
    REQUIRE_OK(cache->RemoveAccount("nobody"));
    CHECK(faults->writes == writes);
  }
}

TEST_CASE("A callback that throws is rolled back and never written later",
          "[core][cache][transaction][rollback]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto faults = std::make_shared<Faults>();
  std::unique_ptr<Cache> cache = OpenOver(slot, faults, clock);
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "a"));
  const int writes = faults->writes;

  Status s = cache->Update([](CacheTransaction& txn) -> Status {
    txn.RemoveAccount(Alice().home());
    throw std::runtime_error("callback failed");
  });
  CHECK(s.code() == Code::kInternal);
  CHECK(s.message().find("callback failed") == std::string::npos);
  CHECK(faults->writes == writes);
  CHECK(cache->GetAccounts()->size() == 1);

  // The next write must carry Alice along, not the half-done removal.
  REQUIRE_OK(SignIn(*cache, Bob(), "User.Read", "b"));
  CHECK(faults->writes == writes + 1);
  std::unique_ptr<Cache> reopened = OpenOver(slot, faults, clock);
  CHECK(reopened->GetAccounts()->size() == 2);
  CHECK(reopened->FindAccessToken(AliceQuery({"User.Read"}))
            ->token->secret.view() == "a");

  SECTION("a read callback that throws gives kInternal too") {
    Status r = cache->Read([](const CacheView&) -> Status {
      throw std::runtime_error("reader failed");
    });
    CHECK(r.code() == Code::kInternal);
    CHECK(cache->GetAccounts()->size() == 2);
  }
}

TEST_CASE("A store that does not parse gives kCorrupted and is left alone",
          "[core][cache][persistence][corrupt]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  slot->bytes = SecretBytes("garbage that is no snapshot");
  slot->generation = 7;
  auto faults = std::make_shared<Faults>();
  Result<std::unique_ptr<Cache>> opened =
      Cache::Open(std::make_unique<FaultyBlobStore>(slot, faults),
                  std::make_unique<HandleSerializer>(), nullptr,
                  Options(clock));
  CHECK(opened.status().code() == Code::kCorrupted);
  CHECK(slot->bytes->view() == "garbage that is no snapshot");

  SECTION("corruption appearing later fails reads and writes, keeps bytes") {
    slot->bytes.reset();
    slot->generation = 0;
    std::unique_ptr<Cache> cache = OpenOver(slot, faults, clock);
    REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "a"));
    slot->bytes = SecretBytes("garbage again");
    ++slot->generation;
    CHECK(cache->FindAccessToken(AliceQuery({"User.Read"})).status().code() ==
          Code::kCorrupted);
    CHECK(SignIn(*cache, Bob(), "User.Read", "b").code() == Code::kCorrupted);
    CHECK(slot->bytes->view() == "garbage again");
  }
}

TEST_CASE("Open refuses null parts and surfaces store read errors",
          "[core][cache][persistence][errors]") {
  CHECK(Cache::Open(nullptr, std::make_unique<HandleSerializer>(), nullptr)
            .status()
            .code() == Code::kInvalidArgument);
  CHECK(Cache::Open(std::make_unique<MemoryBlobStore>(), nullptr, nullptr)
            .status()
            .code() == Code::kInvalidArgument);
  auto faults = std::make_shared<Faults>();
  faults->fail_reads = 1;
  Result<std::unique_ptr<Cache>> opened = Cache::Open(
      std::make_unique<FaultyBlobStore>(
          std::make_shared<MemoryBlobStore::Slot>(), faults),
      std::make_unique<HandleSerializer>(), nullptr);
  CHECK(opened.status().code() == Code::kUnavailable);
}

// A Lock that records how it is used; it can be told to time out. (Real
// cross-process locking is tested with the file lock in tests/lock.)
class RecordingLock final : public Lock {
 public:
  struct Counts {
    std::atomic<int> shared{0};
    std::atomic<int> exclusive{0};
    std::atomic<bool> time_out{false};
    std::atomic<Deadline> last_deadline{};
  };
  explicit RecordingLock(std::shared_ptr<Counts> counts)
      : counts_(std::move(counts)) {}
  std::string_view Name() const override { return "recording"; }
  Result<std::unique_ptr<LockHandle>> Acquire(LockMode mode,
                                              Deadline deadline) override {
    counts_->last_deadline = deadline;
    if (counts_->time_out) {
      return Status(Code::kLockTimeout, "injected lock timeout");
    }
    ++(mode == LockMode::kShared ? counts_->shared : counts_->exclusive);
    return std::make_unique<LockHandle>();
  }

 private:
  std::shared_ptr<Counts> counts_;
};

TEST_CASE("Writes take the exclusive lock; unchanged reads take none",
          "[core][cache][lock]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  auto counts = std::make_shared<RecordingLock::Counts>();
  Result<std::unique_ptr<Cache>> opened = Cache::Open(
      std::make_unique<MemoryBlobStore>(slot),
      std::make_unique<HandleSerializer>(),
      std::make_unique<RecordingLock>(counts), Options(clock));
  REQUIRE_OK(opened);
  Cache& cache = **opened;
  REQUIRE_OK(SignIn(cache, Alice(), "User.Read", "a"));
  CHECK(counts->exclusive == 1);
  const int shared_before = counts->shared;
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(cache.FindAccessToken(AliceQuery({"User.Read"})));
  }
  CHECK(counts->exclusive == 1);
  CHECK(counts->shared == shared_before);

  counts->time_out = true;
  CHECK(SignIn(cache, Bob(), "User.Read", "b").code() == Code::kLockTimeout);
  CHECK(cache.GetAccounts()->size() == 1);
}

TEST_CASE("A lock timeout of milliseconds::max() waits rather than overflows",
          "[core][cache][lock]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto counts = std::make_shared<RecordingLock::Counts>();
  CacheOptions options = Options(clock);
  options.lock_timeout = std::chrono::milliseconds::max();
  Result<std::unique_ptr<Cache>> opened = Cache::Open(
      std::make_unique<MemoryBlobStore>(
          std::make_shared<MemoryBlobStore::Slot>()),
      std::make_unique<HandleSerializer>(),
      std::make_unique<RecordingLock>(counts), options);
  REQUIRE_OK(opened);
  REQUIRE_OK(SignIn(**opened, Alice(), "User.Read", "a"));
  CHECK(counts->exclusive == 1);
  // A wrapped sum would lie in the past; "forever" is years ahead.
  CHECK(counts->last_deadline.load() >
        std::chrono::steady_clock::now() + std::chrono::hours(24 * 365));
}

TEST_CASE("One cache serves many threads reading and writing at once",
          "[core][cache][concurrency]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  std::unique_ptr<Cache> cache =
      OpenOver(slot, std::make_shared<Faults>(), clock);
  REQUIRE_OK(SignIn(*cache, Alice(), "User.Read", "seed"));
  std::atomic<int> errors{0};
  std::atomic<int> misses{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        test::User user{"u" + std::to_string(w) + "-" + std::to_string(i),
                        "tid", "u@x", "U"};
        if (!SignIn(*cache, user, "User.Read", "t").ok()) ++errors;
        if (!SignIn(*cache, Alice(), "User.Read",
                    "alice-" + std::to_string(i))
                 .ok()) {
          ++errors;
        }
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        Result<AccessTokenLookup> hit =
            cache->FindAccessToken(AliceQuery({"User.Read"}));
        if (!hit.ok()) {
          ++errors;
        } else if (hit->state != LookupState::kValid) {
          ++misses;  // Alice always has exactly one valid token.
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(misses == 0);
  Result<std::vector<Account>> accounts = cache->GetAccounts();
  REQUIRE_OK(accounts);
  CHECK(accounts->size() == 101);
  Result<CacheSnapshot> snap = cache->Export();
  REQUIRE_OK(snap);
  std::size_t alice_ats = 0;
  for (const auto& at : snap->access_tokens) {
    alice_ats += at.home_account_id == Alice().home();
  }
  CHECK(alice_ats == 1);
}

}  // namespace
}  // namespace tokencache
