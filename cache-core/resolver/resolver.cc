// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The silent-acquisition flow (docs/resolver.md, msal-cache-rules.md §5).
// The order of work is what keeps it cheap and safe:
//   1. one Cache::Read collects the access-token and refresh-token lookups
//      and the time (no exclusive lock, no copy of the cache);
//   2. the throttle tables are consulted before any network call;
//   3. the token endpoint is called with no cache lock held (the optional
//      refresh lease is a separate lock that readers never take);
//   4. one Cache::Update stores the answer; the core replaces the redeemed
//      refresh token in that same transaction.

#include "tokencache/resolver.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace tokencache {
namespace {

using std::chrono::seconds;

// now + timeout without overflowing the clock's nanoseconds for a timeout
// such as milliseconds::max() ("wait as long as it takes"); about 30 years
// stands for that.
Deadline LeaseDeadline(std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kForever =
      std::chrono::hours(24 * 365 * 30);
  return std::chrono::steady_clock::now() +
         std::clamp(timeout, std::chrono::milliseconds(0), kForever);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// "<scheme>://<host>/<tenant>[/...]" split into its parts.
struct Authority {
  std::string scheme;
  std::string host;  // Lower-cased, with a port if one was given.
  std::string tenant;
};

std::optional<Authority> ParseAuthority(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  Authority a;
  a.scheme = Lower(text.substr(0, sep));
  std::string_view rest = text.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  a.host = Lower(rest.substr(0, slash));
  std::string_view path = rest.substr(slash + 1);
  const std::size_t end = path.find_first_of("/?#");
  a.tenant = std::string(path.substr(0, end));
  if (a.host.empty() || a.tenant.empty()) return std::nullopt;
  for (char c : a.host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '@') {
      return std::nullopt;
    }
  }
  return a;
}

std::string_view HomeTenant(std::string_view home_account_id) {
  const std::size_t dot = home_account_id.find('.');
  return dot == std::string_view::npos ? std::string_view()
                                       : home_account_id.substr(dot + 1);
}

// NET never looks up or refreshes against common/organizations: the
// request is re-targeted to the account's home tenant (msal-cache-rules.md
// §3.4). We do the same for consumers, whose tokens are stored under the
// MSA tenant id from the ID token.
std::string EffectiveTenant(const std::string& tenant,
                            std::string_view home_account_id) {
  const std::string t = Lower(tenant);
  if (t == "common" || t == "organizations" || t == "consumers") {
    std::string_view home = HomeTenant(home_account_id);
    if (!home.empty()) return std::string(home);
  }
  return tenant;
}

// The routing hint NET and PY send with a refresh: Oid:<uid>@<utid>.
std::string AnchorMailbox(std::string_view home_account_id) {
  const std::size_t dot = home_account_id.find('.');
  if (dot == std::string_view::npos || dot == 0 ||
      dot + 1 == home_account_id.size()) {
    return "";
  }
  return "Oid:" + std::string(home_account_id.substr(0, dot)) + "@" +
         std::string(home_account_id.substr(dot + 1));
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (s.empty()) continue;
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::string Hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

// BLAKE2b over length-prefixed parts, so that ("ab","c") and ("a","bc")
// differ. Secrets go in as bytes and never come out: only the digest is
// kept.
class Digest {
 public:
  Digest() { crypto_generichash_init(&state_, nullptr, 0, kBytes); }
  Digest& Add(std::string_view part) {
    const std::uint64_t n = part.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) {
      len[i] = static_cast<unsigned char>(n >> (8 * i));
    }
    crypto_generichash_update(&state_, len, sizeof(len));
    crypto_generichash_update(
        &state_, reinterpret_cast<const unsigned char*>(part.data()),
        part.size());
    return *this;
  }
  std::string Finish() {
    unsigned char out[kBytes];
    crypto_generichash_final(&state_, out, kBytes);
    return Hex(out, kBytes);
  }

 private:
  static constexpr std::size_t kBytes = 16;
  crypto_generichash_state state_;
};

SilentReason FromUiReason(UiRequiredReason r) {
  switch (r) {
    case UiRequiredReason::kInvalidGrant:
      return SilentReason::kInvalidGrant;
    case UiRequiredReason::kInteractionRequired:
      return SilentReason::kInteractionRequired;
    case UiRequiredReason::kConsentRequired:
      return SilentReason::kConsentRequired;
    case UiRequiredReason::kLoginRequired:
      return SilentReason::kLoginRequired;
    case UiRequiredReason::kBadToken:
      return SilentReason::kBadToken;
    case UiRequiredReason::kClaimsChallenge:
      return SilentReason::kClaimsChallenge;
    case UiRequiredReason::kUiNotAllowed:
      return SilentReason::kUiNotAllowed;
    case UiRequiredReason::kInterruptedUser:
      return SilentReason::kInterruptedUser;
    case UiRequiredReason::kNone:
    case UiRequiredReason::kOther:
      break;
  }
  return SilentReason::kOtherUiRequired;
}

SilentReason FromTransient(TransientKind k) {
  switch (k) {
    case TransientKind::kHttp5xx:
      return SilentReason::kHttp5xx;
    case TransientKind::kHttp429:
      return SilentReason::kHttp429;
    case TransientKind::kHttp408:
      return SilentReason::kHttp408;
    case TransientKind::kServerBusy:
      return SilentReason::kServerBusy;
    case TransientKind::kTimeout:
      return SilentReason::kTimeout;
    case TransientKind::kConnectionRefused:
      return SilentReason::kConnectionRefused;
    case TransientKind::kNameResolution:
      return SilentReason::kNameResolution;
    case TransientKind::kTls:
      return SilentReason::kTls;
    case TransientKind::kNone:
    case TransientKind::kNetwork:
      break;
  }
  return SilentReason::kNetwork;
}

SilentReason FromService(ServiceErrorReason r) {
  switch (r) {
    case ServiceErrorReason::kClientMismatch:
      return SilentReason::kClientMismatch;
    case ServiceErrorReason::kProtectionPolicyRequired:
      return SilentReason::kProtectionPolicyRequired;
    case ServiceErrorReason::kInvalidClient:
      return SilentReason::kInvalidClient;
    case ServiceErrorReason::kRequestThrottled:
      return SilentReason::kRequestThrottled;
    case ServiceErrorReason::kInvalidResponse:
      return SilentReason::kInvalidResponse;
    case ServiceErrorReason::kRequestRejected:
      return SilentReason::kRequestRejected;
    case ServiceErrorReason::kInternal:
      return SilentReason::kEndpointInternal;
    case ServiceErrorReason::kNone:
    case ServiceErrorReason::kOther:
      break;
  }
  return SilentReason::kOtherServiceError;
}

// A refresh token the flow may redeem.
struct Candidate {
  RefreshToken token;
  bool family = false;
};

// Everything one Cache::Read tells the flow.
struct CacheFacts {
  UnixSeconds now = 0;
  AccessTokenLookup at;
  RefreshTokenLookup rt;
};

}  // namespace

class Resolver::Impl {
 public:
  Impl(std::shared_ptr<Cache> cache, std::shared_ptr<TokenEndpoint> endpoint,
       ResolverOptions options)
      : cache_(std::move(cache)),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)) {
    // Safe to call repeatedly and from several threads; needed once before
    // the hashing in Digest.
    if (sodium_init() < 0) sodium_ready_ = false;
  }

  SilentResult AcquireSilent(const SilentRequest& request);
  SilentResult AcquireAppTokenSilent(const SilentRequest& request);
  void ClearThrottling() {
    std::lock_guard<std::mutex> guard(throttle_mu_);
    ui_throttle_.clear();
    retry_after_.clear();
  }

 private:
  // What one silent request resolved to.
  struct Plan {
    const SilentRequest* request = nullptr;
    Authority authority;
    std::string home_account_id;
    std::string realm;  // Effective tenant.
    AccessTokenQuery at_query;
    RefreshTokenQuery rt_query;
    bool skip_cache = false;
    std::string thumbprint;  // Without refresh tokens: Retry-After key.
  };

  struct ThrottleEntry {
    UnixSeconds until = 0;
    SilentResult result;  // Failure fields only, never a token.
  };

  std::optional<SilentResult> Validate(const SilentRequest& request,
                                       bool need_scopes) const;
  Status ReadFacts(const Plan& plan, CacheFacts* facts);
  std::vector<Candidate> Candidates(const CacheFacts& facts,
                                    bool* had_expired) const;
  std::string UiThrottleKey(const Plan& plan,
                            const std::vector<Candidate>& candidates) const;
  std::optional<SilentResult> Throttled(const std::string& key,
                                        bool retry_after, UnixSeconds now);
  void Remember(const std::string& key, bool retry_after, UnixSeconds now,
                UnixSeconds until, const SilentResult& result);
  std::optional<SilentResult> Redeem(const Plan& plan,
                                     const Candidate& candidate,
                                     CacheRefreshReason why,
                                     RefreshResult* failure);
  void RemoveIfUnchanged(const Plan& plan, const Candidate& candidate);
  SilentResult FailureResult(const Plan& plan, const RefreshResult& r,
                             CacheRefreshReason why) const;
  static SilentResult Serve(const AccessToken& token, SilentOutcome outcome,
                            TokenSource source, CacheRefreshReason why,
                            std::string message);

  std::shared_ptr<Cache> cache_;
  std::shared_ptr<TokenEndpoint> endpoint_;
  const ResolverOptions options_;
  bool sodium_ready_ = true;

  std::mutex throttle_mu_;
  std::unordered_map<std::string, ThrottleEntry> ui_throttle_;
  std::unordered_map<std::string, ThrottleEntry> retry_after_;
};

namespace {

SilentResult ClientUiRequired(SilentReason reason, std::string message) {
  SilentResult r;
  r.outcome = SilentOutcome::kUiRequired;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

SilentResult LocalError(SilentReason reason, Status status) {
  SilentResult r;
  r.outcome = SilentOutcome::kError;
  r.reason = reason;
  r.message = status.ToString();
  r.status = std::move(status);
  return r;
}

// The token a successful response carries, as the cache would store it;
// returned when the stored copy cannot be read back (the write failed, or
// the server granted other scopes than were asked for).
AccessToken TokenFromResponse(const TokenResponse& response,
                              const TokenRequestContext& context,
                              const std::string& home_account_id,
                              UnixSeconds base) {
  AccessToken at;
  at.home_account_id = home_account_id;
  at.environment = context.authority_host;
  at.client_id = context.client_id;
  at.realm = context.tenant;
  at.target =
      response.scope.empty() ? JoinScopes(context.scopes) : response.scope;
  at.secret = response.access_token;
  at.cached_at = base;
  at.expires_on = base + response.expires_in.value_or(0);
  at.extended_expires_on =
      base + response.ext_expires_in.value_or(response.expires_in.value_or(0));
  if (response.refresh_in.has_value() && *response.refresh_in > 0) {
    at.refresh_on = base + *response.refresh_in;
  }
  at.token_type = response.token_type.empty() ? "Bearer" : response.token_type;
  at.key_id = context.key_id;
  return at;
}

}  // namespace

std::optional<SilentResult> Resolver::Impl::Validate(
    const SilentRequest& request, bool need_scopes) const {
  if (cache_ == nullptr || endpoint_ == nullptr) {
    return LocalError(SilentReason::kInvalidRequest,
                      InvalidArgumentError("resolver: cache or token "
                                           "endpoint is null"));
  }
  if (request.client_id.empty()) {
    return LocalError(SilentReason::kInvalidRequest,
                      InvalidArgumentError("silent request: client_id is "
                                           "empty"));
  }
  if (!ParseAuthority(request.authority).has_value()) {
    return LocalError(SilentReason::kInvalidRequest,
                      InvalidArgumentError("silent request: authority is not "
                                           "<scheme>://<host>/<tenant>"));
  }
  if (need_scopes &&
      std::none_of(request.scopes.begin(), request.scopes.end(),
                   [](const std::string& s) { return !s.empty(); })) {
    return LocalError(SilentReason::kInvalidRequest,
                      InvalidArgumentError("silent request: no scopes"));
  }
  if (!sodium_ready_) {
    return LocalError(SilentReason::kInvalidRequest,
                      InternalError("resolver: libsodium failed to "
                                    "initialise"));
  }
  return std::nullopt;
}

Status Resolver::Impl::ReadFacts(const Plan& plan, CacheFacts* facts) {
  return cache_->Read([&](const CacheView& view) {
    facts->now = view.Now();
    if (!plan.skip_cache) facts->at = view.FindAccessToken(plan.at_query);
    facts->rt = view.FindRefreshToken(plan.rt_query);
    return Status();
  });
}

std::vector<Candidate> Resolver::Impl::Candidates(const CacheFacts& facts,
                                                  bool* had_expired) const {
  *had_expired = false;
  const UnixSeconds limit =
      facts.now + options_.refresh_token_expiry_buffer.count();
  auto usable = [&](const RefreshToken& rt) {
    if (rt.secret.empty()) return false;
    if (rt.expires_on != 0 && rt.expires_on <= limit) {
      *had_expired = true;
      return false;
    }
    return true;
  };
  std::vector<Candidate> out;
  // FOCI (msal-cache-rules.md §3.5): members and apps of unknown membership
  // try the family RT first (NET, PY); JS would not try it for "unknown".
  if (facts.rt.membership != FociMembership::kNotMember &&
      facts.rt.family_token.has_value() && usable(*facts.rt.family_token)) {
    out.push_back({*facts.rt.family_token, true});
  }
  if (facts.rt.app_token.has_value() && usable(*facts.rt.app_token)) {
    out.push_back({*facts.rt.app_token, false});
  }
  return out;
}

std::string Resolver::Impl::UiThrottleKey(
    const Plan& plan, const std::vector<Candidate>& candidates) const {
  // The refresh tokens are part of the key: after an interactive sign-in
  // stored a new one, the same request must reach the server again.
  Digest d;
  d.Add("ui").Add(plan.thumbprint);
  for (const Candidate& c : candidates) d.Add(c.token.secret.view());
  return d.Finish();
}

std::optional<SilentResult> Resolver::Impl::Throttled(const std::string& key,
                                                      bool retry_after,
                                                      UnixSeconds now) {
  std::lock_guard<std::mutex> guard(throttle_mu_);
  auto& table = retry_after ? retry_after_ : ui_throttle_;
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  if (it->second.until <= now) {
    table.erase(it);
    return std::nullopt;
  }
  SilentResult r = it->second.result;
  r.throttled = true;
  if (retry_after) {
    r.outcome = SilentOutcome::kTransient;
    r.reason = SilentReason::kRetryAfter;
    r.retry_after = seconds(it->second.until - now);
    r.message = "not sent: the token endpoint asked to wait (Retry-After)";
  } else {
    r.message = "throttled: " + r.message;
  }
  return r;
}

void Resolver::Impl::Remember(const std::string& key, bool retry_after,
                              UnixSeconds now, UnixSeconds until,
                              const SilentResult& result) {
  if (options_.max_throttle_entries == 0) return;
  std::lock_guard<std::mutex> guard(throttle_mu_);
  auto& table = retry_after ? retry_after_ : ui_throttle_;
  if (table.size() >= options_.max_throttle_entries && table.count(key) == 0) {
    // Drop what has run out; if that is not enough, the entry that would
    // run out first. The table stays bounded whatever the callers do.
    for (auto it = table.begin(); it != table.end();) {
      it = it->second.until <= now ? table.erase(it) : std::next(it);
    }
    if (table.size() >= options_.max_throttle_entries) {
      auto soonest = table.begin();
      for (auto it = table.begin(); it != table.end(); ++it) {
        if (it->second.until < soonest->second.until) soonest = it;
      }
      table.erase(soonest);
    }
  }
  ThrottleEntry entry;
  entry.until = until;
  entry.result = result;
  entry.result.token.reset();
  table[key] = std::move(entry);
}

SilentResult Resolver::Impl::Serve(const AccessToken& token,
                                   SilentOutcome outcome, TokenSource source,
                                   CacheRefreshReason why,
                                   std::string message) {
  SilentResult r;
  r.outcome = outcome;
  r.reason = SilentReason::kNone;
  r.token = token;
  r.home_account_id = token.home_account_id;
  r.source = source;
  r.cache_refresh_reason = why;
  r.message = std::move(message);
  return r;
}

SilentResult Resolver::Impl::FailureResult(const Plan& plan,
                                           const RefreshResult& r,
                                           CacheRefreshReason why) const {
  const ErrorClassification c = Classify(r);
  SilentResult out;
  out.home_account_id = plan.home_account_id;
  out.cache_refresh_reason = why;
  out.http_status = r.server_error.http_status;
  out.error = r.server_error.error;
  out.suberror = r.server_error.suberror;
  out.claims = r.server_error.claims;
  out.error_description = r.server_error.error_description;
  out.classification = c.ui_classification;
  out.correlation_id = !plan.request->correlation_id.empty()
                           ? plan.request->correlation_id
                           : r.server_error.correlation_id;
  switch (c.category) {
    case ErrorCategory::kUiRequired:
      out.outcome = SilentOutcome::kUiRequired;
      out.reason = FromUiReason(c.ui_reason);
      break;
    case ErrorCategory::kTransient:
      out.outcome = SilentOutcome::kTransient;
      out.reason = FromTransient(c.transient);
      if (c.retry_after.has_value()) {
        out.retry_after = std::min(*c.retry_after, options_.max_retry_after);
      }
      break;
    case ErrorCategory::kNone:
    case ErrorCategory::kServiceError:
      out.outcome = SilentOutcome::kServiceError;
      out.reason = FromService(c.service_reason);
      break;
  }
  // RefreshResult::message names the endpoint, status and error code only.
  out.message = std::string(SilentOutcomeName(out.outcome)) + " (" +
                SilentReasonName(out.reason) + "): " + r.message;
  return out;
}

void Resolver::Impl::RemoveIfUnchanged(const Plan& plan,
                                       const Candidate& candidate) {
  // Delete only the very token the server called bad: if another process
  // rotated it meanwhile, the new one is good and stays.
  Status s = cache_->Update([&](CacheTransaction& txn) {
    RefreshTokenLookup now = txn.FindRefreshToken(plan.rt_query);
    const std::optional<RefreshToken>& stored =
        candidate.family ? now.family_token : now.app_token;
    if (stored.has_value() && stored->secret.Equals(candidate.token.secret)) {
      txn.RemoveRefreshToken(*stored);
    }
    return Status();
  });
  // Best effort: the outcome (UI required) is the same either way, and a
  // kept token only costs one more rejected refresh.
  s.IgnoreError();
}

std::optional<SilentResult> Resolver::Impl::Redeem(const Plan& plan,
                                                   const Candidate& candidate,
                                                   CacheRefreshReason why,
                                                   RefreshResult* failure) {
  const SilentRequest& request = *plan.request;
  RefreshRequest rr;
  rr.authority =
      plan.authority.scheme + "://" + plan.authority.host + "/" + plan.realm;
  rr.token_endpoint = request.token_endpoint;
  rr.client_id = request.client_id;
  rr.refresh_token = candidate.token.secret;
  rr.scopes = request.scopes;
  rr.client_secret = request.client_secret;
  rr.claims = request.claims;
  rr.correlation_id = request.correlation_id;
  if (std::string anchor = AnchorMailbox(plan.home_account_id);
      !anchor.empty()) {
    rr.extra_headers.emplace_back("X-AnchorMailbox", std::move(anchor));
  }
  rr.SetTimeout(options_.network_timeout);

  // JS takes the base of expires_on before the request: a token is never
  // thought to live longer than the server meant.
  UnixSeconds base = 0;
  {
    Status s = cache_->Read([&](const CacheView& view) {
      base = view.Now();
      return Status();
    });
    if (!s.ok()) return LocalError(SilentReason::kCacheFailure, s);
  }

  // The network call: no cache lock is held here.
  RefreshResult r = endpoint_->Refresh(rr);
  if (!r.ok()) {
    *failure = std::move(r);
    return std::nullopt;
  }

  TokenRequestContext context;
  context.authority_host = plan.authority.host;
  context.tenant = plan.realm;
  context.client_id = request.client_id;
  context.scopes = request.scopes;
  context.grant = GrantKind::kRefreshToken;
  context.home_account_id = plan.home_account_id;
  context.key_id = request.key_id;
  context.request_time = base;

  std::optional<AccessToken> stored;
  Status write = cache_->Update([&](CacheTransaction& txn) {
    stored.reset();
    if (Status s = txn.ApplyTokenResponse(context, r.response); !s.ok()) {
      return s;
    }
    AccessTokenLookup lookup = txn.FindAccessToken(plan.at_query);
    if (lookup.token.has_value() &&
        lookup.token->secret.Equals(r.response.access_token)) {
      stored = std::move(lookup.token);
    }
    return Status();
  });

  const SilentOutcome outcome = candidate.family
                                    ? SilentOutcome::kRefreshedWithFamilyToken
                                    : SilentOutcome::kRefreshed;
  if (write.code() == Code::kInvalidArgument) {
    // The answer cannot be stored as asked: it names another account, or
    // its client_info / ID token does not decode. NET refuses such an
    // answer (user_mismatch); so do we, and return no token.
    SilentResult out;
    out.outcome = SilentOutcome::kServiceError;
    out.reason = SilentReason::kInvalidResponse;
    out.home_account_id = plan.home_account_id;
    out.cache_refresh_reason = why;
    out.correlation_id = request.correlation_id;
    out.status = write;
    out.message =
        "service_error (invalid_response): the token response "
        "was not stored: " +
        write.message();
    return out;
  }
  AccessToken token =
      stored.has_value()
          ? std::move(*stored)
          : TokenFromResponse(r.response, context, plan.home_account_id, base);
  SilentResult out =
      Serve(token, outcome, TokenSource::kIdentityProvider, why,
            candidate.family ? "refreshed with the family refresh token"
                             : "refreshed with the app's refresh token");
  out.correlation_id = request.correlation_id;
  if (!write.ok()) {
    out.status = write;
    out.message += "; storing it failed: " + write.ToString();
  }
  return out;
}

SilentResult Resolver::Impl::AcquireSilent(const SilentRequest& request) {
  if (auto invalid = Validate(request, true)) return std::move(*invalid);
  Plan plan;
  plan.request = &request;
  plan.authority = *ParseAuthority(request.authority);

  // 1. The account.
  plan.home_account_id = request.home_account_id;
  if (plan.home_account_id.empty() && !request.login_hint.empty()) {
    AccountFilter filter;
    filter.environment = plan.authority.host;
    filter.username = request.login_hint;
    Result<std::vector<Account>> accounts = cache_->GetAccounts(filter);
    if (!accounts.ok()) {
      return LocalError(SilentReason::kCacheFailure, accounts.status());
    }
    std::vector<std::string> homes;
    for (const Account& a : *accounts) {
      if (std::none_of(homes.begin(), homes.end(), [&](const std::string& h) {
            return EqualsIgnoreCase(h, a.home_account_id);
          })) {
        homes.push_back(a.home_account_id);
      }
    }
    if (homes.empty()) {
      return ClientUiRequired(SilentReason::kNoAccountForLoginHint,
                              "ui_required (no_account_for_login_hint): no "
                              "cached account has this username");
    }
    if (homes.size() > 1) {
      return ClientUiRequired(SilentReason::kMultipleAccountsForLoginHint,
                              "ui_required (multiple_accounts_for_login_"
                              "hint): several cached accounts have this "
                              "username");
    }
    plan.home_account_id = homes.front();
  }
  if (plan.home_account_id.empty()) {
    return ClientUiRequired(SilentReason::kNoAccount,
                            "ui_required (no_account): the request names no "
                            "account");
  }
  plan.realm = EffectiveTenant(plan.authority.tenant, plan.home_account_id);
  plan.skip_cache = request.force_refresh || !request.claims.empty();

  plan.at_query.home_account_id = plan.home_account_id;
  plan.at_query.environment = plan.authority.host;
  plan.at_query.client_id = request.client_id;
  plan.at_query.realm = plan.realm;
  plan.at_query.scopes = request.scopes;
  plan.at_query.token_type = request.token_type;
  plan.at_query.key_id = request.key_id;
  plan.rt_query.home_account_id = plan.home_account_id;
  plan.rt_query.environment = plan.authority.host;
  plan.rt_query.client_id = request.client_id;

  {
    std::vector<std::string> scopes;
    for (const std::string& s : request.scopes) {
      if (!s.empty()) scopes.push_back(Lower(s));
    }
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    Digest d;
    d.Add(Lower(request.client_id))
        .Add(plan.authority.host)
        .Add(Lower(plan.realm))
        .Add(Lower(plan.home_account_id))
        .Add(request.claims)
        .Add(Lower(request.token_type))
        .Add(request.key_id)
        .Add(request.token_endpoint);
    for (const std::string& s : scopes) d.Add(s);
    plan.thumbprint = d.Finish();
  }

  // 2. The cached access token (shared read, no exclusive lock).
  CacheFacts facts;
  if (Status s = ReadFacts(plan, &facts); !s.ok()) {
    return LocalError(SilentReason::kCacheFailure, s);
  }
  CacheRefreshReason why = CacheRefreshReason::kForceRefreshOrClaims;
  std::optional<AccessToken> stale;
  if (!plan.skip_cache) {
    switch (facts.at.state) {
      case LookupState::kValid:
        return Serve(*facts.at.token, SilentOutcome::kCacheHit,
                     TokenSource::kCache, CacheRefreshReason::kNotApplicable,
                     "cache hit");
      case LookupState::kRefreshDue:
        if (!options_.proactive_refresh) {
          return Serve(*facts.at.token, SilentOutcome::kCacheHit,
                       TokenSource::kCache, CacheRefreshReason::kNotApplicable,
                       "cache hit (past refresh_on; proactive refresh off)");
        }
        stale = facts.at.token;
        why = CacheRefreshReason::kProactivelyRefreshed;
        break;
      case LookupState::kExpired:
        why = CacheRefreshReason::kCachedAccessTokenExpired;
        break;
      case LookupState::kNotFound:
        why = CacheRefreshReason::kNoCachedAccessToken;
        break;
    }
  }

  // A failure while a still-valid token is in hand serves that token
  // (all three MSALs do, whatever the failure was).
  auto finish = [&](SilentResult failed) {
    if (!stale.has_value()) return failed;
    SilentResult out = failed;
    out.outcome = SilentOutcome::kStaleButServed;
    out.token = *stale;
    out.source = TokenSource::kCache;
    out.status = Status();
    out.message =
        "stale_but_served: proactive refresh failed: " + failed.message;
    return out;
  };

  // 3. The refresh tokens.
  std::unique_ptr<LockHandle> lease;
  bool had_expired = false;
  std::vector<Candidate> candidates = Candidates(facts, &had_expired);

  auto no_candidates = [&]() {
    SilentResult out =
        had_expired
            ? ClientUiRequired(SilentReason::kRefreshTokenExpired,
                               "ui_required (refresh_token_expired): the "
                               "cached refresh token has expired")
            : ClientUiRequired(SilentReason::kNoTokensFound,
                               "ui_required (no_tokens_found): no refresh "
                               "token for this account and app");
    out.home_account_id = plan.home_account_id;
    out.cache_refresh_reason = why;
    out.correlation_id = request.correlation_id;
    return finish(std::move(out));
  };
  if (candidates.empty()) return no_candidates();

  // Throttling, before anything is sent.
  if (auto t = Throttled(plan.thumbprint, true, facts.now)) {
    t->home_account_id = plan.home_account_id;
    t->cache_refresh_reason = why;
    return finish(std::move(*t));
  }
  std::string ui_key = UiThrottleKey(plan, candidates);
  if (auto t = Throttled(ui_key, false, facts.now)) {
    t->cache_refresh_reason = why;
    return finish(std::move(*t));
  }

  // Single flight (reliability plan L11): hold the refresh lease of this
  // account, then look again: whoever held it before may have refreshed
  // and rotated the refresh token already.
  if (options_.refresh_lease != nullptr) {
    Result<std::unique_ptr<LockHandle>> acquired =
        options_.refresh_lease->AcquireKey(
            "refresh:" + Lower(plan.home_account_id), LockMode::kExclusive,
            LeaseDeadline(options_.refresh_lease_timeout));
    // Without the lease (timeout, lock failure) the refresh still goes
    // ahead: single flight saves work, it is not needed for correctness.
    if (acquired.ok()) {
      lease = std::move(*acquired);
      CacheFacts fresh;
      if (Status s = ReadFacts(plan, &fresh); !s.ok()) {
        return LocalError(SilentReason::kCacheFailure, s);
      }
      if (!plan.skip_cache && fresh.at.state == LookupState::kValid) {
        return Serve(*fresh.at.token, SilentOutcome::kCacheHit,
                     TokenSource::kCache, CacheRefreshReason::kNotApplicable,
                     "cache hit (refreshed by a concurrent caller)");
      }
      facts = std::move(fresh);
      candidates = Candidates(facts, &had_expired);
      if (candidates.empty()) return no_candidates();
      ui_key = UiThrottleKey(plan, candidates);
    }
  }

  // 4. Redeem: the family RT first, then the app's own.
  std::optional<SilentResult> last_failure;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& candidate = candidates[i];
    RefreshResult failure;
    std::optional<SilentResult> out = Redeem(plan, candidate, why, &failure);
    if (out.has_value()) {
      // A token, or a local / storing failure: final either way.
      if (!out->has_token()) return finish(std::move(*out));
      return std::move(*out);
    }
    const ErrorClassification c = Classify(failure);
    if (options_.remove_bad_refresh_tokens &&
        c.ui_reason == UiRequiredReason::kBadToken) {
      RemoveIfUnchanged(plan, candidate);
    }
    last_failure = FailureResult(plan, failure, why);
    // FOCI fallback: a family RT the server refuses (client_mismatch, or
    // any other non-transient answer) gives way to the app's own RT. A
    // transient failure stops here: the server is down for both.
    const bool more = i + 1 < candidates.size();
    if (!(candidate.family && more &&
          c.category != ErrorCategory::kTransient)) {
      break;
    }
  }

  SilentResult failed = std::move(*last_failure);
  lease.reset();
  if (failed.outcome == SilentOutcome::kUiRequired &&
      options_.ui_required_throttle.count() > 0) {
    Remember(ui_key, false, facts.now,
             facts.now + options_.ui_required_throttle.count(), failed);
  }
  if (failed.outcome == SilentOutcome::kTransient &&
      failed.retry_after.has_value() && failed.retry_after->count() > 0) {
    Remember(plan.thumbprint, true, facts.now,
             facts.now + failed.retry_after->count(), failed);
  }
  return finish(std::move(failed));
}

SilentResult Resolver::Impl::AcquireAppTokenSilent(
    const SilentRequest& request) {
  if (auto invalid = Validate(request, true)) return std::move(*invalid);
  const Authority authority = *ParseAuthority(request.authority);
  AccessTokenQuery query;
  query.environment = authority.host;
  query.client_id = request.client_id;
  query.realm = authority.tenant;
  query.scopes = request.scopes;
  query.token_type = request.token_type;
  query.key_id = request.key_id;
  Result<AccessTokenLookup> lookup = cache_->FindAccessToken(query);
  if (!lookup.ok()) {
    return LocalError(SilentReason::kCacheFailure, lookup.status());
  }
  if (lookup->token.has_value()) {
    // kRefreshDue is served too: there is no refresh token to redeem, and
    // the daemon may use token->refresh_on to fetch a new one early.
    return Serve(*lookup->token, SilentOutcome::kCacheHit, TokenSource::kCache,
                 CacheRefreshReason::kNotApplicable, "cache hit (app token)");
  }
  SilentResult r;
  r.outcome = SilentOutcome::kNoTokenInCache;
  const bool expired = lookup->state == LookupState::kExpired;
  r.reason = expired ? SilentReason::kCachedAccessTokenExpired
                     : SilentReason::kNoCachedAccessToken;
  r.cache_refresh_reason = expired
                               ? CacheRefreshReason::kCachedAccessTokenExpired
                               : CacheRefreshReason::kNoCachedAccessToken;
  r.correlation_id = request.correlation_id;
  r.message = expired ? "no_token_in_cache: the cached app token expired"
                      : "no_token_in_cache: no app token cached";
  return r;
}

// ----------------------------------------------------------------- Resolver

Resolver::Resolver(std::shared_ptr<Cache> cache,
                   std::shared_ptr<TokenEndpoint> endpoint,
                   ResolverOptions options)
    : impl_(std::make_unique<Impl>(std::move(cache), std::move(endpoint),
                                   std::move(options))) {}

Resolver::Resolver(Cache* cache, TokenEndpoint* endpoint,
                   ResolverOptions options)
    : Resolver(std::shared_ptr<Cache>(cache, [](Cache*) {}),
               std::shared_ptr<TokenEndpoint>(endpoint, [](TokenEndpoint*) {}),
               std::move(options)) {}

Resolver::~Resolver() = default;

SilentResult Resolver::AcquireSilent(const SilentRequest& request) {
  return impl_->AcquireSilent(request);
}

SilentResult Resolver::AcquireAppTokenSilent(const SilentRequest& request) {
  return impl_->AcquireAppTokenSilent(request);
}

void Resolver::ClearThrottling() { impl_->ClearThrottling(); }

}  // namespace tokencache
