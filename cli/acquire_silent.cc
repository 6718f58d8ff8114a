// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache acquire-silent`: runs the Resolver (MSAL's AcquireTokenSilent)
// once against the cache and a token endpoint, and prints the outcome.
// Exit codes: 0 with a token, 10 when the user must sign in, 11 for a
// transient or service error, 3 when an app-only (--app) lookup finds no
// token, and the usual codes (output.h) for cache and usage errors.

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "tokencache/backends/curl_token_endpoint.h"
#include "tokencache/file_lock.h"
#include "tokencache/resolver.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] =
    "Usage: tokencache [--cache URI] acquire-silent --client-id ID\n"
    "       --authority URL --scope S [--scope S ...] [--account ID]\n"
    "       [--app] [--force-refresh] [--claims JSON] [--token-endpoint URL]\n"
    "       [--json] [--show-secrets]\n"
    "Returns a token the way MSAL's AcquireTokenSilent does: from the cache,\n"
    "or by redeeming a cached refresh token at the token endpoint.\n"
    "Exit codes: 0 token returned; 10 user interaction required; 11\n"
    "transient or service error; 3 --app found no token in the cache;\n"
    "2 bad arguments; 4, 5, 6, 7 cache errors as for other commands.\n";

bool IsLoopbackHttp(const std::string& url) {
  for (const char* prefix : {"http://127.0.0.1:", "http://127.0.0.1/",
                             "http://[::1]:", "http://[::1]/",
                             "http://localhost:", "http://localhost/"}) {
    if (url.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

int ExitCodeForResult(const SilentResult& r) {
  switch (r.outcome) {
    case SilentOutcome::kCacheHit:
    case SilentOutcome::kRefreshed:
    case SilentOutcome::kRefreshedWithFamilyToken:
    case SilentOutcome::kStaleButServed:
      return kExitOk;
    case SilentOutcome::kUiRequired:
      return kExitUiRequired;
    case SilentOutcome::kNoTokenInCache:
      return kExitNotFound;
    case SilentOutcome::kTransient:
    case SilentOutcome::kServiceError:
      return kExitTransient;
    case SilentOutcome::kError:
      return r.status.ok() ? kExitFailure : ExitCodeFor(r.status);
  }
  return kExitFailure;
}

void PrintJson(const SilentResult& r, bool show_secrets) {
  rapidjson::OStreamWrapper stream(std::cout);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(stream);
  auto str = [&](const char* key, const std::string& value) {
    w.Key(key);
    if (value.empty()) {
      w.Null();
    } else {
      w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    }
  };
  w.StartObject();
  str("outcome", SilentOutcomeName(r.outcome));
  str("reason", SilentReasonName(r.reason));
  str("source",
      r.source == TokenSource::kNone ? "" : TokenSourceName(r.source));
  str("cache_refresh_reason", CacheRefreshReasonName(r.cache_refresh_reason));
  str("account", r.home_account_id);
  str("error", r.error);
  str("suberror", r.suberror);
  str("claims", r.claims);
  str("error_description", r.error_description);
  w.Key("http_status");
  if (r.http_status == 0) {
    w.Null();
  } else {
    w.Int(r.http_status);
  }
  str("correlation_id", r.correlation_id);
  w.Key("retry_after");
  if (r.retry_after.has_value()) {
    w.Int64(static_cast<std::int64_t>(r.retry_after->count()));
  } else {
    w.Null();
  }
  w.Key("throttled");
  w.Bool(r.throttled);
  w.Key("expires_on");
  if (r.has_token()) {
    w.Int64(r.token->expires_on);
  } else {
    w.Null();
  }
  str("token_type", r.has_token() ? r.token->token_type : "");
  str("scopes", r.has_token() ? r.token->target : "");
  w.Key("access_token");
  if (r.has_token() && show_secrets) {
    w.String(r.token->secret.data(),
             static_cast<rapidjson::SizeType>(r.token->secret.size()));
  } else {
    w.Null();
  }
  w.Key("access_token_length");
  if (r.has_token()) {
    w.Uint64(r.token->secret.size());
  } else {
    w.Null();
  }
  str("message", r.message);
  w.EndObject();
  stream.Flush();
  std::cout << "\n";
}

void PrintText(const SilentResult& r, bool show_secrets, UnixSeconds now) {
  std::cout << "outcome:  " << SilentOutcomeName(r.outcome) << "\n";
  if (r.reason != SilentReason::kNone) {
    std::cout << "reason:   " << SilentReasonName(r.reason) << "\n";
  }
  if (r.source != TokenSource::kNone) {
    std::cout << "source:   " << TokenSourceName(r.source) << "\n";
  }
  if (!r.home_account_id.empty()) {
    std::cout << "account:  " << r.home_account_id << "\n";
  }
  if (!r.error.empty()) std::cout << "error:    " << r.error << "\n";
  if (!r.suberror.empty()) std::cout << "suberror: " << r.suberror << "\n";
  if (!r.claims.empty()) std::cout << "claims:   " << r.claims << "\n";
  if (r.retry_after.has_value()) {
    std::cout << "retry in: " << r.retry_after->count() << " s\n";
  }
  if (r.throttled) std::cout << "throttled: not sent to the server\n";
  if (r.has_token()) {
    std::cout << "expires:  " << FormatTime(r.token->expires_on) << " ("
              << FormatRelative(r.token->expires_on, now) << ")\n"
              << "scopes:   " << r.token->target << "\n"
              << "token:    "
              << (show_secrets ? std::string(r.token->secret.view())
                               : Redacted(r.token->secret))
              << "\n";
  }
  std::cout << "message:  " << r.message << "\n";
}

}  // namespace

int RunAcquireSilent(const std::string& uri, const Args& args) {
  po::options_description options("acquire-silent options");
  // clang-format off
  options.add_options()
      ("client-id", po::value<std::string>()->required(), "application id")
      ("authority", po::value<std::string>()->required(),
       "authority URL, e.g. https://login.microsoftonline.com/TENANT")
      ("scope", po::value<std::vector<std::string>>()->required(),
       "a requested scope (repeat for several)")
      ("account", po::value<std::string>()->default_value(""),
       "home account id (<uid>.<utid>)")
      ("login-hint", po::value<std::string>()->default_value(""),
       "find the account by username instead of --account")
      ("app", "app-only lookup (client-credential tokens; cache only)")
      ("force-refresh", "skip the cached access token")
      ("claims", po::value<std::string>()->default_value(""),
       "claims challenge JSON to send with the refresh")
      ("token-endpoint", po::value<std::string>()->default_value(""),
       "token endpoint URL (default AUTHORITY/oauth2/v2.0/token); plain "
       "http only on loopback")
      ("correlation-id", po::value<std::string>()->default_value(""),
       "client-request-id to send")
      ("timeout-ms", po::value<long>()->default_value(30000),
       "time allowed for the token endpoint")
      ("json", "print the outcome as one JSON object")
      ("show-secrets", "print the access token itself");
  // clang-format on
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << kUsage << "\n" << all;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache acquire-silent: " << UsageError(e) << "\n"
              << "Try 'tokencache acquire-silent --help'.\n";
    return kExitUsage;
  }

  SilentRequest request;
  request.client_id = vm["client-id"].as<std::string>();
  request.authority = vm["authority"].as<std::string>();
  request.scopes = vm["scope"].as<std::vector<std::string>>();
  request.home_account_id = vm["account"].as<std::string>();
  request.login_hint = vm["login-hint"].as<std::string>();
  request.force_refresh = vm.count("force-refresh") != 0;
  request.claims = vm["claims"].as<std::string>();
  request.token_endpoint = vm["token-endpoint"].as<std::string>();
  request.correlation_id = vm["correlation-id"].as<std::string>();
  const long timeout_ms = vm["timeout-ms"].as<long>();
  if (timeout_ms <= 0) {
    return Fail("acquire-silent",
                InvalidArgumentError("--timeout-ms must be positive"));
  }

  Result<std::unique_ptr<Cache>> opened = OpenCache(uri);
  if (!opened.ok()) {
    Result<CacheUri> parsed = ParseCacheUri(uri);
    return Fail(
        "acquire-silent",
        opened.status().WithContext(
            "opening " + (parsed.ok() ? parsed->Redacted() : "the cache URI")));
  }
  std::shared_ptr<Cache> cache(std::move(*opened));

  CurlTokenEndpointOptions endpoint_options;
  // Plain http is accepted for a loopback endpoint named explicitly (tests,
  // local proxies); the curl endpoint refuses it for any other host.
  endpoint_options.allow_insecure_http_loopback =
      IsLoopbackHttp(request.token_endpoint);
  Result<std::unique_ptr<TokenEndpoint>> endpoint =
      NewCurlTokenEndpoint(endpoint_options);
  if (!endpoint.ok()) return Fail("acquire-silent", endpoint.status());

  ResolverOptions resolver_options;
  resolver_options.network_timeout = std::chrono::milliseconds(timeout_ms);
  // A file cache gets a single-flight refresh lease next to it, so that
  // parallel invocations redeem a refresh token once (reliability L11).
  if (Result<CacheUri> parsed = ParseCacheUri(uri);
      parsed.ok() && parsed->scheme == "file" && !parsed->path.empty()) {
    Result<std::unique_ptr<Lock>> lease =
        NewFileLock(parsed->path + ".refresh.lock");
    if (!lease.ok()) return Fail("acquire-silent", lease.status());
    resolver_options.refresh_lease = std::shared_ptr<Lock>(std::move(*lease));
  }
  Resolver resolver(cache, std::shared_ptr<TokenEndpoint>(std::move(*endpoint)),
                    resolver_options);

  const SilentResult result = vm.count("app") != 0
                                  ? resolver.AcquireAppTokenSilent(request)
                                  : resolver.AcquireSilent(request);
  const bool show_secrets = vm.count("show-secrets") != 0;
  if (vm.count("json") != 0) {
    PrintJson(result, show_secrets);
  } else {
    UnixSeconds now = 0;
    Status s = cache->Read([&](const CacheView& view) {
      now = view.Now();
      return Status();
    });
    // Only used to print "in 59m"; a failed read leaves it at 0.
    s.IgnoreError();
    PrintText(result, show_secrets, now);
  }
  return ExitCodeForResult(result);
}

}  // namespace cli
}  // namespace tokencache
