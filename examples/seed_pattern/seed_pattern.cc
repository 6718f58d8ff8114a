// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL "seed pattern" in C++: try silent first; when the user must sign
// in, run the SDK's interactive acquisition and store its result; then the
// next silent call is a cache hit. In MSAL .NET the same flow reads
//
//   try {
//     result = await app.AcquireTokenSilent(scopes, account).ExecuteAsync();
//   } catch (MsalUiRequiredException) {
//     result = await app.AcquireTokenInteractive(scopes).ExecuteAsync();
//   }
//
// tokencache plays the token cache and the silent half: Resolver::
// AcquireSilent is AcquireTokenSilent, SilentOutcome::kUiRequired is
// MsalUiRequiredException, and Cache::ApplyTokenResponse is how the SDK
// stores what its interactive flow (browser, device code, broker) got.
//
// The identity provider is simulated in this process (a TokenEndpoint
// subclass, which is also how an SDK plugs in its own HTTP stack), so the
// example runs anywhere, offline. It exits non-zero if any step does not
// behave as MSAL would; CI runs it (ctest label "example").

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "tokencache/resolver.h"
#include "tokencache/tokencache.h"

namespace {

using tokencache::Cache;
using tokencache::CacheOptions;
using tokencache::GrantKind;
using tokencache::ManualClock;
using tokencache::RefreshRequest;
using tokencache::RefreshResult;
using tokencache::Resolver;
using tokencache::SecretBytes;
using tokencache::SilentOutcome;
using tokencache::SilentReason;
using tokencache::SilentRequest;
using tokencache::SilentResult;
using tokencache::Status;
using tokencache::TokenRequestContext;
using tokencache::TokenResponse;

constexpr char kClientId[] = "11111111-2222-3333-4444-555555555555";
constexpr char kAuthorityHost[] = "login.microsoftonline.com";
constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
// client_info as Entra returns it: base64url of
// {"uid":"9f4880d8-80ba-4c40-97bc-f7a23c703084",
//  "utid":"72f988bf-86f1-41af-91ab-2d7cd011db47"}.
constexpr char kClientInfo[] =
    "eyJ1aWQiOiI5ZjQ4ODBkOC04MGJhLTRjNDAtOTdiYy1mN2EyM2M3MDMwODQiLCJ1dGlk"
    "IjoiNzJmOTg4YmYtODZmMS00MWFmLTkxYWItMmQ3Y2QwMTFkYjQ3In0";

// An (unsigned) ID token for Ada: the sign-in's proof of who signed in.
// Its claims: oid, tid (the tenant above), preferred_username
// "ada@contoso.com", name "Ada Lovelace". The cache turns it into an
// Account record, which is how the app finds the account again.
constexpr char kIdToken[] =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJhdWQiOiIxMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTUiLCJpc3Mi"
    "OiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5jb20vNzJmOTg4YmYtODZmMS00"
    "MWFmLTkxYWItMmQ3Y2QwMTFkYjQ3L3YyLjAiLCJvaWQiOiI5ZjQ4ODBkOC04MGJhLTRj"
    "NDAtOTdiYy1mN2EyM2M3MDMwODQiLCJ0aWQiOiI3MmY5ODhiZi04NmYxLTQxYWYtOTFh"
    "Yi0yZDdjZDAxMWRiNDciLCJwcmVmZXJyZWRfdXNlcm5hbWUiOiJhZGFAY29udG9zby5j"
    "b20iLCJuYW1lIjoiQWRhIExvdmVsYWNlIiwic3ViIjoic3ViLWFkYSJ9.";

int failures = 0;

void Expect(bool ok, const char* what) {
  std::printf("  [%s] %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

// The identity provider's token endpoint, simulated: it redeems a refresh
// token for a new access token and a rotated refresh token, or refuses
// with invalid_grant once `revoked` is set (a password reset, say).
class SimulatedIdentityProvider : public tokencache::TokenEndpoint {
 public:
  std::string_view Name() const override { return "simulated"; }
  bool revoked = false;
  int calls = 0;

 protected:
  RefreshResult DoRefresh(const RefreshRequest& request) override {
    ++calls;
    if (revoked) {
      // What the SDK's HTTP stack hands over: status, body, Retry-After.
      return tokencache::ParseTokenEndpointResponse(
          400,
          SecretBytes(std::string_view(
              R"({"error":"invalid_grant","error_description":)"
              R"("AADSTS50173: the grant was revoked"})")),
          "");
    }
    TokenResponse response;
    response.access_token =
        SecretBytes("at-from-refresh-" + std::to_string(calls));
    response.refresh_token = SecretBytes("rt-rotated-" + std::to_string(calls));
    response.client_info = kClientInfo;
    response.scope = request.scopes.empty() ? "" : request.scopes.front();
    response.expires_in = 3600;
    return RefreshResult::Success(std::move(response));
  }
};

// The SDK author's interactive acquisition (MSAL's AcquireTokenInteractive):
// a browser or device-code sign-in that ends with a token response. Here
// the sign-in is simulated; a real SDK would run its own flow.
struct InteractiveResult {
  TokenRequestContext context;
  TokenResponse response;
};
using InteractiveSignIn =
    std::function<InteractiveResult(const SilentRequest&, const SilentResult&)>;

InteractiveResult SimulatedBrowserSignIn(const SilentRequest& request,
                                         const SilentResult& why) {
  static int sign_ins = 0;
  ++sign_ins;
  std::printf("  interactive sign-in #%d (silent said: %s)\n", sign_ins,
              tokencache::SilentReasonName(why.reason));
  InteractiveResult out;
  out.context.authority_host = kAuthorityHost;
  out.context.tenant = kTenant;
  out.context.client_id = request.client_id;
  out.context.scopes = request.scopes;
  out.context.grant = GrantKind::kInteractive;  // authorization code
  out.response.access_token =
      SecretBytes("at-from-sign-in-" + std::to_string(sign_ins));
  out.response.refresh_token =
      SecretBytes("rt-from-sign-in-" + std::to_string(sign_ins));
  out.response.client_info = kClientInfo;
  out.response.id_token = SecretBytes(std::string_view(kIdToken));
  out.response.scope = request.scopes.front();
  out.response.expires_in = 3600;
  return out;
}

// The seed pattern. Returns the outcome of the call that produced the
// token (or the failure), and the account the token belongs to.
SilentResult AcquireToken(Resolver& resolver, Cache& cache,
                          SilentRequest request,
                          const InteractiveSignIn& sign_in) {
  // 1. AcquireTokenSilent: cache, else refresh token. Never throws.
  SilentResult silent = resolver.AcquireSilent(request);
  if (silent.has_token()) return silent;

  // 2. catch (MsalUiRequiredException): only UI can help. Transient and
  // service errors are NOT a reason to prompt the user: retry later.
  if (silent.outcome != SilentOutcome::kUiRequired) return silent;

  // 3. AcquireTokenInteractive, supplied by the SDK author.
  InteractiveResult interactive = sign_in(request, silent);

  // 4. MSAL writes the interactive result into its token cache; so do we.
  // The cache derives the account (home_account_id) from client_info.
  if (Status s =
          cache.ApplyTokenResponse(interactive.context, interactive.response);
      !s.ok()) {
    std::printf("  storing the sign-in failed: %s\n", s.ToString().c_str());
    return silent;
  }

  // 5. The app remembers the account (MSAL: result.Account, or later
  // GetAccounts()) and from now on asks silently for it.
  tokencache::AccountFilter filter;
  filter.username = "ada@contoso.com";
  auto accounts = cache.GetAccounts(filter);
  if (!accounts.ok() || accounts->size() != 1) {
    std::printf("  the signed-in account is not in the cache\n");
    return silent;
  }
  request.home_account_id = accounts->front().home_account_id;
  return resolver.AcquireSilent(request);
}

}  // namespace

int main() {
  // A clock we can move, to show expiry without waiting an hour.
  auto clock = std::make_shared<ManualClock>(1'900'000'000);
  CacheOptions options;
  options.clock = clock;
  // "memory:" keeps the example self-contained; an app would pass
  // "file:///home/<user>/.cache/<app>/msal_cache.json" (MSAL JSON, readable
  // by MSAL .NET, Python and Node apps sharing the file).
  auto opened = tokencache::OpenCache("memory:", options);
  if (!opened.ok()) {
    std::printf("cannot open the cache: %s\n",
                opened.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<Cache> cache(std::move(*opened));
  auto idp = std::make_shared<SimulatedIdentityProvider>();
  Resolver resolver(cache, idp);

  SilentRequest request;
  request.client_id = kClientId;
  request.authority = std::string("https://") + kAuthorityHost + "/" + kTenant;
  request.scopes = {"User.Read"};

  std::printf("1. First run: no account yet, so silent asks for UI.\n");
  SilentResult r =
      AcquireToken(resolver, *cache, request, SimulatedBrowserSignIn);
  Expect(r.has_token(), "a token after the interactive sign-in");
  Expect(r.outcome == SilentOutcome::kCacheHit,
         "the silent call right after sign-in is a cache hit");
  request.home_account_id = r.home_account_id;

  std::printf("2. Later: the token is in the cache.\n");
  r = AcquireToken(resolver, *cache, request, SimulatedBrowserSignIn);
  Expect(r.outcome == SilentOutcome::kCacheHit, "cache hit, no prompt");
  Expect(idp->calls == 0, "the identity provider was not called");

  std::printf("3. An hour later: the access token expired.\n");
  clock->Advance(std::chrono::seconds(3600));
  r = AcquireToken(resolver, *cache, request, SimulatedBrowserSignIn);
  Expect(r.outcome == SilentOutcome::kRefreshed,
         "refreshed silently with the refresh token");
  Expect(idp->calls == 1, "one call to the token endpoint");
  r = AcquireToken(resolver, *cache, request, SimulatedBrowserSignIn);
  Expect(r.outcome == SilentOutcome::kCacheHit,
         "the refreshed token is served from the cache");

  std::printf("4. The grant is revoked: silent asks for UI again.\n");
  idp->revoked = true;
  clock->Advance(std::chrono::seconds(3600));
  r = AcquireToken(resolver, *cache, request, SimulatedBrowserSignIn);
  Expect(r.outcome == SilentOutcome::kCacheHit,
         "after a second sign-in the token comes from the cache");
  Expect(idp->calls == 2, "the revoked refresh token was tried once");

  std::printf(failures == 0 ? "seed pattern: all steps behaved\n"
                            : "seed pattern: %d step(s) misbehaved\n",
              failures);
  return failures == 0 ? 0 : 1;
}
