// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// What the resolver promises beyond the decision table: UI-required
// throttling, refresh-token rotation in one committed write, no cache lock
// across the network call, many threads at once, and no secrets in
// messages. Against the real oauth2-mock-server on 127.0.0.1.

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/resolver/resolver_fixture.h"
#include "tests/support/temp_dir.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::CanarySuccess;
using test::kSeedRt;
using test::kServerAt;
using test::kServerRt;
using test::MockResponse;
using test::ResolverFixture;
using test::Server;

TEST_CASE_METHOD(ResolverFixture,
                 "A repeated UI-required request is answered from the "
                 "throttle table for the window",
                 "[resolver][throttle]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().SetDefault(MockResponse::Error(400, "invalid_grant")));
  SilentResult first = Acquire();
  REQUIRE(first.outcome == SilentOutcome::kUiRequired);
  CHECK_FALSE(first.throttled);

  clock().Advance(seconds(60));
  SilentResult second = Acquire();
  CHECK(second.outcome == SilentOutcome::kUiRequired);
  CHECK(second.reason == SilentReason::kInvalidGrant);
  CHECK(second.error == "invalid_grant");
  CHECK(second.throttled);
  CHECK(Requests().size() == 1);

  // Another request (other scopes) is not throttled.
  SilentRequest other = Request();
  other.scopes = {"Mail.Read"};
  CHECK_FALSE(Acquire(other).throttled);
  CHECK(Requests().size() == 2);

  // After the window the server is asked again.
  clock().Advance(seconds(61));
  SilentResult third = Acquire();
  CHECK(third.outcome == SilentOutcome::kUiRequired);
  CHECK_FALSE(third.throttled);
  CHECK(Requests().size() == 3);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A new sign-in lifts the UI-required throttle at once",
                 "[resolver][throttle]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "interaction_required")));
  REQUIRE(Acquire().outcome == SilentOutcome::kUiRequired);
  // The interactive sign-in stores a new refresh token (and an AT that a
  // force refresh skips).
  Seed(3600, std::nullopt, "rt-after-interactive-sign-in");
  SilentRequest request = Request();
  request.force_refresh = true;
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kRefreshed);
  CHECK(Requests().size() == 2);
}

TEST_CASE_METHOD(ResolverFixture,
                 "Client-side UI-required answers are not throttled",
                 "[resolver][throttle]") {
  // no_tokens_found is decided locally, so nothing is remembered: the
  // tokens of a sign-in are used by the very next call.
  SilentResult r = Acquire();
  CHECK(r.reason == SilentReason::kNoTokensFound);
  Seed(0, std::nullopt);
  CHECK(Acquire().outcome == SilentOutcome::kRefreshed);
}

// A BlobStore in memory that keeps every committed blob, so that a test
// can look at what each single write contained.
class RecordingStore final : public BlobStore {
 public:
  std::string_view Name() const override { return "recording"; }
  std::vector<std::string> writes() {
    std::lock_guard<std::mutex> guard(mu_);
    return writes_;
  }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    std::lock_guard<std::mutex> guard(mu_);
    if (writes_.empty()) return std::optional<Blob>();
    Blob blob;
    blob.bytes = SecretBytes(writes_.back());
    blob.version = BlobVersion{std::to_string(writes_.size())};
    return std::optional<Blob>(std::move(blob));
  }
  Result<BlobVersion> DoPeekVersion() override {
    std::lock_guard<std::mutex> guard(mu_);
    return BlobVersion{writes_.empty() ? "" : std::to_string(writes_.size())};
  }
  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    std::lock_guard<std::mutex> guard(mu_);
    BlobVersion current{writes_.empty() ? "" : std::to_string(writes_.size())};
    if (expected.has_value() && *expected != current) {
      return Status(Code::kConflict, "recording store: version moved");
    }
    writes_.emplace_back(bytes);
    return BlobVersion{std::to_string(writes_.size())};
  }

 private:
  std::mutex mu_;
  std::vector<std::string> writes_;
};

TEST_CASE(
    "Refresh-token rotation commits the new AT and RT and drops the "
    "old RT in one write",
    "[resolver][rotation]") {
  REQUIRE_OK(Server().Reset());
  auto clock = std::make_shared<ManualClock>(test::kStart);
  auto store = std::make_unique<RecordingStore>();
  RecordingStore* recording = store.get();
  CacheOptions options;
  options.clock = clock;
  auto opened =
      Cache::Open(std::move(store), NewMsalJsonSerializer(), nullptr, options);
  REQUIRE_OK(opened);
  std::shared_ptr<Cache> cache(std::move(*opened));

  TokenRequestContext context;
  context.authority_host = test::kHost;
  context.tenant = test::kTenant;
  context.client_id = test::kClient;
  context.scopes = {"User.Read"};
  TokenResponse seed;
  seed.access_token = SecretBytes(std::string_view(test::kSeedAt));
  seed.refresh_token = SecretBytes(std::string_view(kSeedRt));
  seed.client_info = test::ClientInfo();
  seed.expires_in = 3600;
  REQUIRE_OK(cache->ApplyTokenResponse(context, seed));
  clock->Advance(seconds(3600));
  const std::size_t writes_before = recording->writes().size();

  CurlTokenEndpointOptions endpoint_options;
  endpoint_options.allow_insecure_http_loopback = true;
  auto endpoint = NewCurlTokenEndpoint(endpoint_options);
  REQUIRE_OK(endpoint);
  Resolver resolver(cache,
                    std::shared_ptr<TokenEndpoint>(std::move(*endpoint)));
  REQUIRE_OK(Server().Script(CanarySuccess()));
  SilentRequest request;
  request.client_id = test::kClient;
  request.authority = std::string("https://") + test::kHost + "/contoso";
  request.scopes = {"User.Read"};
  request.home_account_id = test::kHome;
  request.token_endpoint = Server().BaseUrl() + "/contoso/oauth2/v2.0/token";
  SilentResult r = resolver.AcquireSilent(request);
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);

  std::vector<std::string> writes = recording->writes();
  REQUIRE(writes.size() == writes_before + 1);
  auto snapshot = NewMsalJsonSerializer()->Deserialize(writes.back());
  REQUIRE_OK(snapshot);
  REQUIRE(snapshot->refresh_tokens.size() == 1);
  CHECK(
      (snapshot->refresh_tokens[0].secret.Equals(std::string_view(kServerRt))));
  bool new_at = false;
  for (const AccessToken& at : snapshot->access_tokens) {
    if (at.secret.Equals(std::string_view(kServerAt))) new_at = true;
  }
  CHECK(new_at);
  CHECK(snapshot->access_tokens.size() == 1);
}

TEST_CASE("No cache lock is held while the token endpoint is slow",
          "[resolver][locking]") {
  REQUIRE_OK(Server().Reset());
  test::TempDir dir;
  auto clock = std::make_shared<ManualClock>(test::kStart);
  CacheOptions options;
  options.clock = clock;
  options.lock_timeout = milliseconds(20000);
  auto opened = OpenCache("file://" + (dir / "cache.json").string(), options);
  REQUIRE_OK(opened);
  std::shared_ptr<Cache> cache(std::move(*opened));

  TokenRequestContext context;
  context.authority_host = test::kHost;
  context.tenant = test::kTenant;
  context.client_id = test::kClient;
  context.scopes = {"User.Read"};
  TokenResponse seed;
  seed.access_token = SecretBytes(std::string_view(test::kSeedAt));
  seed.refresh_token = SecretBytes(std::string_view(kSeedRt));
  seed.client_info = test::ClientInfo();
  seed.expires_in = 60;  // Already inside the 5-minute buffer.
  REQUIRE_OK(cache->ApplyTokenResponse(context, seed));

  CurlTokenEndpointOptions endpoint_options;
  endpoint_options.allow_insecure_http_loopback = true;
  auto endpoint = NewCurlTokenEndpoint(endpoint_options);
  REQUIRE_OK(endpoint);
  Resolver resolver(cache,
                    std::shared_ptr<TokenEndpoint>(std::move(*endpoint)));
  MockResponse slow = CanarySuccess();
  slow.delay = milliseconds(1500);
  REQUIRE_OK(Server().Script(slow));

  SilentRequest request;
  request.client_id = test::kClient;
  request.authority = std::string("https://") + test::kHost + "/contoso";
  request.scopes = {"User.Read"};
  request.home_account_id = test::kHome;
  request.token_endpoint = Server().BaseUrl() + "/contoso/oauth2/v2.0/token";

  std::atomic<bool> resolver_done{false};
  SilentResult result;
  std::thread silent([&] {
    result = resolver.AcquireSilent(request);
    resolver_done = true;
  });
  // Wait until the server holds the request, then write to the cache.
  bool arrived = false;
  for (int i = 0; i < 200 && !arrived; ++i) {
    auto requests = Server().Requests();
    arrived = requests.ok() && !requests->empty();
    if (!arrived) std::this_thread::sleep_for(milliseconds(10));
  }
  REQUIRE(arrived);
  TokenRequestContext other = context;
  TokenResponse writer;
  writer.access_token = SecretBytes(std::string_view("other-account-at"));
  writer.refresh_token = SecretBytes(std::string_view("other-account-rt"));
  writer.client_info = test::Base64Url(R"({"uid":"uid-2","utid":"utid-2"})");
  writer.expires_in = 3600;
  Status written = cache->ApplyTokenResponse(other, writer);
  const bool finished_first = !resolver_done.load();
  silent.join();
  CHECK_OK(written);
  // The writer finished while the refresh was still waiting on the server.
  CHECK(finished_first);
  REQUIRE(result.outcome == SilentOutcome::kRefreshed);

  // Both writes survived.
  auto snapshot = cache->Export();
  REQUIRE_OK(snapshot);
  CHECK(snapshot->refresh_tokens.size() == 2);
}

TEST_CASE_METHOD(ResolverFixture, "Many threads share one resolver",
                 "[resolver][threads]") {
  Seed(3600, std::nullopt);
  std::vector<std::thread> threads;
  std::atomic<int> hits{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        SilentResult r = resolver().AcquireSilent(Request());
        if (r.outcome == SilentOutcome::kCacheHit) ++hits;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(hits == 400);
  CHECK(Requests().empty());
}

TEST_CASE_METHOD(ResolverFixture, "No outcome's message quotes a token",
                 "[resolver][secrets]") {
  // Every failure path with the canaries in the cache and on the wire.
  Seed(0, std::nullopt);
  std::vector<MockResponse> answers = {
      MockResponse::Error(400, "invalid_grant", "bad_token"),
      MockResponse::Error(500, "server_error"),
      MockResponse::Error(401, "invalid_client"),
  };
  MockResponse echo = MockResponse::Error(400, "invalid_request");
  echo.body_json = std::string(R"({"error":"invalid_request",)") +
                   R"("error_description":"bad refresh_token )" + kSeedRt +
                   R"("})";
  answers.push_back(echo);
  MockResponse garbage;
  garbage.raw_body = std::string("{\"access_token\":") + kServerAt;
  answers.push_back(garbage);
  for (const MockResponse& answer : answers) {
    Seed(0, std::nullopt);
    resolver().ClearThrottling();
    REQUIRE_OK(Server().Script(answer));
    SilentResult r = resolver().AcquireSilent(Request());
    CHECK_FALSE(r.has_token());
    CHECK_FALSE(test::LeaksCanary(r.message));
    CHECK_FALSE(test::LeaksCanary(r.status.message()));
  }
}

}  // namespace
}  // namespace tokencache
