// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache demo`: the cache working end to end, the way an SDK uses it.
// An SDK's sign-in is simulated by building the token responses an identity
// provider returns (client_info, an ID token, access and refresh tokens);
// everything else is the real cache on the real default store: MSAL
// matching and expiry, refresh-token rotation, the FOCI family token,
// persistence across handles, the MSAL JSON file and account removal.

#include <sodium.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>

#include <boost/program_options.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

constexpr char kHost[] = "login.microsoftonline.com";
constexpr char kTenant[] = "9c8517ff-d540-473f-a199-d34c9c09b23c";
constexpr char kUid[] = "0e7b8c3e-3b7f-44ed-a153-8a568a6408c6";
constexpr char kDesktopApp[] = "f2f325a9-e313-4b4a-af1d-3f9edf6fe1d2";
constexpr char kMailApp[] = "3bbda3e2-f7fd-4dd4-a0c3-42ceacaa3d5c";
constexpr char kGraphRead[] = "https://graph.microsoft.com/User.Read";
constexpr char kGraphMail[] = "https://graph.microsoft.com/Mail.Read";

std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(
                      bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

// A random opaque token, as an identity provider would issue.
SecretBytes RandomToken(std::string_view prefix) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof(raw));
  std::string text = std::string(prefix) +
                     Base64Url(std::string_view(
                         reinterpret_cast<const char*>(raw), sizeof(raw)));
  sodium_memzero(raw, sizeof(raw));
  SecretBytes out(text);
  SecureWipe(text.data(), text.size());
  return out;
}

// What the identity provider returns when alice signs in to `client_id`.
TokenResponse SignInResponse(UnixSeconds now, const std::string& client_id,
                             const std::string& scope, bool family) {
  TokenResponse r;
  r.access_token = RandomToken("at.");
  r.refresh_token = RandomToken("rt.");
  std::string claims =
      std::string("{\"aud\":\"") + client_id +
      "\",\"iss\":\"https://login.microsoftonline.com/" + kTenant +
      "/v2.0\",\"iat\":" + std::to_string(now) +
      ",\"exp\":" + std::to_string(now + 3600) + ",\"tid\":\"" + kTenant +
      "\",\"oid\":\"" + kUid + "\",\"sub\":\"demo-subject\"," +
      "\"preferred_username\":\"alice@contoso.example\"," +
      "\"name\":\"Alice Example\"}";
  r.id_token = SecretBytes(Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") +
                           "." + Base64Url(claims) + ".");
  r.token_type = "Bearer";
  r.scope = scope + " openid profile";
  r.expires_in = 3600;
  r.ext_expires_in = 7200;
  r.client_info = Base64Url(std::string("{\"uid\":\"") + kUid +
                            "\",\"utid\":\"" + kTenant + "\"}");
  if (family) r.foci = "1";
  return r;
}

TokenRequestContext Request(const std::string& client_id,
                            const std::string& scope, GrantKind grant,
                            UnixSeconds now) {
  TokenRequestContext c;
  c.authority_host = kHost;
  c.tenant = kTenant;
  c.client_id = client_id;
  c.scopes = {scope};
  c.grant = grant;
  c.home_account_id = std::string(kUid) + "." + kTenant;
  c.request_time = now;
  return c;
}

AccessTokenQuery Query(const std::string& client_id, const std::string& scope) {
  AccessTokenQuery q;
  q.home_account_id = std::string(kUid) + "." + kTenant;
  q.environment = kHost;
  q.client_id = client_id;
  q.realm = kTenant;
  q.scopes = {scope};
  return q;
}

class Demo {
 public:
  Demo(std::string uri, std::shared_ptr<ManualClock> clock)
      : uri_(std::move(uri)), clock_(std::move(clock)) {
    options_.clock = clock_;
  }

  int Run() {
    std::cout << "tokencache demo on " << Display() << "\n";
    Result<std::unique_ptr<Cache>> opened = OpenCache(uri_, options_);
    if (!opened.ok()) return Fail("demo: open", opened.status());
    cache_ = std::move(*opened);
    const std::string home = std::string(kUid) + "." + kTenant;

    Step("Alice signs in to the desktop app (a FOCI family member)");
    Status s = cache_->ApplyTokenResponse(
        Request(kDesktopApp, kGraphRead, GrantKind::kInteractive, Now()),
        SignInResponse(Now(), kDesktopApp, kGraphRead, /*family=*/true));
    if (!s.ok()) return Fail("demo: store sign-in", s);
    Say("stored the access, refresh and ID tokens, the account and the "
        "app's family membership");

    Step("Silent request for User.Read (what an SDK does before each call)");
    Result<AccessTokenLookup> hit =
        cache_->FindAccessToken(Query(kDesktopApp, kGraphRead));
    if (!hit.ok()) return Fail("demo: lookup", hit.status());
    if (hit->state != LookupState::kValid) return Unexpected(*hit);
    Say(std::string("cache hit: token ") + Redacted(hit->token->secret) +
        ", expires " + FormatRelative(hit->token->expires_on, Now()));

    Step("Silent request for Mail.Read: no access token has that scope yet");
    Result<AccessTokenLookup> miss =
        cache_->FindAccessToken(Query(kDesktopApp, kGraphMail));
    if (!miss.ok()) return Fail("demo: lookup", miss.status());
    Say(std::string("access token lookup: ") +
        LookupStateName(miss->state));
    RefreshTokenQuery rq;
    rq.home_account_id = home;
    rq.environment = kHost;
    rq.client_id = kDesktopApp;
    Result<RefreshTokenLookup> rts = cache_->FindRefreshToken(rq);
    if (!rts.ok()) return Fail("demo: refresh token lookup", rts.status());
    const RefreshToken* old_rt = rts->family_token ? &*rts->family_token
                                 : rts->app_token  ? &*rts->app_token
                                                   : nullptr;
    if (old_rt == nullptr) {
      std::cerr << "tokencache demo: no refresh token was found\n";
      return kExitFailure;
    }
    SecretBytes old_secret = old_rt->secret;
    Say("found the refresh token; the SDK redeems it at the token endpoint "
        "and the identity provider rotates it");
    s = cache_->ApplyTokenResponse(
        Request(kDesktopApp, kGraphMail, GrantKind::kRefreshToken, Now()),
        SignInResponse(Now(), kDesktopApp, kGraphMail, /*family=*/true));
    if (!s.ok()) return Fail("demo: store refresh", s);
    rts = cache_->FindRefreshToken(rq);
    if (!rts.ok()) return Fail("demo: refresh token lookup", rts.status());
    const RefreshToken* new_rt = rts->family_token ? &*rts->family_token
                                 : rts->app_token  ? &*rts->app_token
                                                   : nullptr;
    Say(std::string("refresh token rotated in the same write: ") +
        (new_rt != nullptr && !new_rt->secret.Equals(old_secret)
             ? "yes, the old one is gone"
             : "NO"));
    miss = cache_->FindAccessToken(Query(kDesktopApp, kGraphMail));
    if (!miss.ok()) return Fail("demo: lookup", miss.status());
    Say(std::string("Mail.Read now: ") + LookupStateName(miss->state));

    Step("56 minutes later: tokens within 5 minutes of expiry are not served");
    clock_->Advance(std::chrono::minutes(56));
    Result<AccessTokenLookup> late =
        cache_->FindAccessToken(Query(kDesktopApp, kGraphRead));
    if (!late.ok()) return Fail("demo: lookup", late.status());
    Say(std::string("User.Read lookup: ") + LookupStateName(late->state) +
        " (the SDK refreshes with the refresh token)");

    Step("Alice opens the mail app, another member of the same family");
    rq.client_id = kMailApp;
    Result<RefreshTokenLookup> family = cache_->FindRefreshToken(rq);
    if (!family.ok()) return Fail("demo: family lookup", family.status());
    Say(std::string("its own refresh token: ") +
        (family->app_token ? "yes" : "none") +
        "; family refresh token: " +
        (family->family_token ? "yes, usable without a sign-in" : "none"));

    if (!persistent_) {
      Step("(memory: cache; persistence steps skipped)");
    } else {
      Step("A second process opens the same cache");
      Result<std::unique_ptr<Cache>> second = OpenCache(uri_, options_);
      if (!second.ok()) return Fail("demo: reopen", second.status());
      Result<std::vector<Account>> accounts = (*second)->GetAccounts();
      if (!accounts.ok()) return Fail("demo: accounts", accounts.status());
      for (const Account& a : *accounts) {
        Say("account " + a.username + " (" + a.home_account_id + ") in " +
            a.environment);
      }
    }

    Step("The cache as MSAL JSON (what MSAL .NET, Python and Node read)");
    Result<CacheSnapshot> snapshot = cache_->Export();
    if (!snapshot.ok()) return Fail("demo: export", snapshot.status());
    Result<SecretBytes> json = NewMsalJsonSerializer()->Serialize(*snapshot);
    if (!json.ok()) return Fail("demo: serialize", json.status());
    Say(std::to_string(json->size()) + " bytes: " +
        std::to_string(snapshot->accounts.size()) + " Account, " +
        std::to_string(snapshot->id_tokens.size()) + " IdToken, " +
        std::to_string(snapshot->access_tokens.size()) + " AccessToken, " +
        std::to_string(snapshot->refresh_tokens.size()) + " RefreshToken, " +
        std::to_string(snapshot->app_metadata.size()) + " AppMetadata");
    Step("Alice signs out: remove the account everywhere");
    s = cache_->RemoveAccount(home);
    if (!s.ok()) return Fail("demo: remove account", s);
    snapshot = cache_->Export();
    if (!snapshot.ok()) return Fail("demo: export", snapshot.status());
    Say("left: " + std::to_string(snapshot->access_tokens.size()) +
        " access, " + std::to_string(snapshot->refresh_tokens.size()) +
        " refresh, " + std::to_string(snapshot->id_tokens.size()) +
        " ID tokens, " + std::to_string(snapshot->accounts.size()) +
        " accounts; the family metadata stays, as in MSAL");
    std::cout << "\ndemo finished: every step used the real cache.\n";
    return kExitOk;
  }

  void set_persistent(bool persistent) { persistent_ = persistent; }

 private:
  UnixSeconds Now() const { return clock_->Now(); }
  void Step(const std::string& text) {
    std::cout << "\n" << ++step_ << ". " << text << "\n";
  }
  void Say(const std::string& text) { std::cout << "   " << text << "\n"; }
  std::string Display() const {
    Result<CacheUri> parsed = ParseCacheUri(uri_);
    // An unparsable URI is not echoed: it may hold a pasted key.
    return parsed.ok() ? parsed->Redacted() : "the cache URI";
  }
  int Unexpected(const AccessTokenLookup& lookup) {
    std::cerr << "tokencache demo: unexpected lookup state "
              << LookupStateName(lookup.state) << "\n";
    return kExitFailure;
  }

  std::string uri_;
  std::shared_ptr<ManualClock> clock_;
  CacheOptions options_;
  std::unique_ptr<Cache> cache_;
  bool persistent_ = true;
  int step_ = 0;
};

}  // namespace

int RunDemo(const std::string& uri, bool uri_given, const Args& args) {
  po::options_description options("demo options");
  options.add_options()("keep", "keep the demo's temporary cache directory")(
      "help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache demo: " << UsageError(e) << "\n";
    return kExitUsage;
  }
  if (vm.count("help") != 0) {
    std::cout << "Usage: tokencache [--cache URI] demo [--keep]\n"
              << "Without --cache, runs on a new file cache in a temporary "
                 "directory.\n"
              << options;
    return kExitOk;
  }
  if (sodium_init() < 0) {
    std::cerr << "tokencache demo: libsodium failed to initialize\n";
    return kExitFailure;
  }

  std::filesystem::path dir;
  std::string cache_uri = uri;
  if (!uri_given) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tokencache-demo-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "tokencache demo: cannot create a temporary directory\n";
      return kExitIo;
    }
    dir = pattern;
    cache_uri = "file://" + (dir / "msal_cache.json").string();
  }
  auto clock = std::make_shared<ManualClock>(SystemClock()->Now());
  Demo demo(cache_uri, clock);
  Result<CacheUri> parsed = ParseCacheUri(cache_uri);
  demo.set_persistent(!parsed.ok() || parsed->scheme != "memory");
  int rc = demo.Run();
  if (!dir.empty()) {
    if (vm.count("keep") != 0) {
      std::cout << "kept " << dir.string() << "\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  return rc;
}

}  // namespace cli
}  // namespace tokencache
