// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/backends/curl_token_endpoint.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokencache/version.h"

namespace tokencache {
namespace {

#define TOKENCACHE_STR2(x) #x
#define TOKENCACHE_STR(x) TOKENCACHE_STR2(x)
constexpr const char kDefaultUserAgent[] =
    "tokencache/" TOKENCACHE_STR(TOKENCACHE_VERSION_MAJOR) "." TOKENCACHE_STR(
        TOKENCACHE_VERSION_MINOR) "." TOKENCACHE_STR(TOKENCACHE_VERSION_PATCH);
#undef TOKENCACHE_STR
#undef TOKENCACHE_STR2

// curl_global_init is not thread-safe before libcurl 7.84 and must run before
// any other call; call_once gives both. It is never undone: other code in
// the process may use libcurl too, and curl_global_cleanup would pull the
// rug from under it.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct CurlFreeDeleter {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlFreeDeleter>;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

// What the URL check found.
struct Target {
  std::string host;
  bool http = false;
  bool loopback = false;
};

Result<Target> CheckUrl(const std::string& url, bool allow_http_loopback) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle) return InternalError("curl_url failed");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return InvalidArgumentError("token endpoint URL is malformed");
  }
  auto part = [&handle](CURLUPart which) -> CurlString {
    char* text = nullptr;
    if (curl_url_get(handle.get(), which, &text, 0) != CURLUE_OK) {
      return CurlString();
    }
    return CurlString(text);
  };
  CurlString scheme = part(CURLUPART_SCHEME);
  CurlString host = part(CURLUPART_HOST);
  if (!scheme || !host) {
    return InvalidArgumentError("token endpoint URL has no scheme or host");
  }
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD)) {
    return InvalidArgumentError("token endpoint URL must not hold credentials");
  }
  Target target;
  target.host = Lower(host.get());
  const std::string s = Lower(scheme.get());
  target.loopback = target.host == "127.0.0.1" || target.host == "[::1]" ||
                    target.host == "::1" || target.host == "localhost";
  if (s == "https") return target;
  if (s == "http") {
    if (!allow_http_loopback) {
      return InvalidArgumentError(
          "token endpoint URL must use https (http is allowed only to "
          "loopback, and only with allow_insecure_http_loopback)");
    }
    if (!target.loopback) {
      return InvalidArgumentError(
          "plain http is allowed only to 127.0.0.1, [::1] or localhost");
    }
    target.http = true;
    return target;
  }
  return InvalidArgumentError("token endpoint URL scheme is not https");
}

// Per-call state the libcurl callbacks write into.
struct Transfer {
  SecretBytes body;
  std::size_t cap = 0;
  bool oversize = false;
  std::string retry_after;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count,
                   void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (n > transfer->cap - transfer->body.size()) {
    // Returning less than n aborts the transfer with CURLE_WRITE_ERROR.
    transfer->oversize = true;
    return 0;
  }
  // An exception must not unwind through libcurl's C frames (undefined
  // behaviour); std::bad_alloc from Append aborts the transfer instead.
  try {
    transfer->body.Append(std::string_view(data, n));
  } catch (...) {
    return 0;
  }
  return n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count,
                     void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  // A new status line starts a new response (after a 1xx); forget headers
  // of the previous one.
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->retry_after.clear();
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  try {  // As in OnBody: nothing may unwind through libcurl.
    if (Lower(line.substr(0, colon)) == "retry-after") {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() &&
             (value.back() == '\r' || value.back() == '\n')) {
        value.remove_suffix(1);
      }
      transfer->retry_after.assign(value.substr(0, 128));
    }
  } catch (...) {
    return 0;
  }
  return n;
}

RefreshResult FromCurlError(CURLcode code, const Transfer& transfer,
                            long http_status, const Target& target,
                            std::size_t cap) {
  const std::string what =
      "POST to " + target.host + " failed: " + curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return RefreshResult::NetworkFailure(TransientKind::kTimeout, what);
    case CURLE_COULDNT_CONNECT:
      return RefreshResult::NetworkFailure(TransientKind::kConnectionRefused,
                                           what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return RefreshResult::NetworkFailure(TransientKind::kNameResolution,
                                           what);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return RefreshResult::NetworkFailure(TransientKind::kTls, what);
    case CURLE_WRITE_ERROR:
      if (transfer.oversize) {
        return RefreshResult::InvalidResponse(
            static_cast<int>(http_status),
            "token endpoint answer is larger than " + std::to_string(cap) +
                " bytes");
      }
      return RefreshResult::InternalError(what);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return RefreshResult::RequestRejected(what);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return RefreshResult::InternalError(what);
    default:
      // Send/receive errors, empty replies, resets, HTTP/2 stream errors.
      return RefreshResult::NetworkFailure(TransientKind::kNetwork, what);
  }
}

class CurlTokenEndpoint final : public TokenEndpoint {
 public:
  explicit CurlTokenEndpoint(CurlTokenEndpointOptions options)
      : options_(std::move(options)) {
    if (options_.user_agent.empty()) options_.user_agent = kDefaultUserAgent;
  }

  ~CurlTokenEndpoint() override {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }

  std::string_view Name() const override { return "curl"; }

 protected:
  RefreshResult DoRefresh(const RefreshRequest& request) override;

 private:
  // Takes an idle handle (keeping its connection cache) or makes one.
  CURL* Checkout() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void Return(CURL* handle) {
    // Drops every option (so no pointer into this call's buffers stays set)
    // but keeps open connections and the DNS cache.
    curl_easy_reset(handle);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < options_.max_idle_handles) {
        idle_.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

  CurlTokenEndpointOptions options_;
  std::mutex mu_;
  std::vector<CURL*> idle_;  // Guarded by mu_.
};

RefreshResult CurlTokenEndpoint::DoRefresh(const RefreshRequest& request) {
  const std::string url = request.EndpointUrl();
  Result<Target> target = CheckUrl(url, options_.allow_insecure_http_loopback);
  if (!target.ok()) {
    if (target.status().code() == Code::kInternal) {
      return RefreshResult::InternalError(target.status().message());
    }
    return RefreshResult::RequestRejected(target.status().message());
  }

  // Time left, from the caller's deadline or our default.
  std::chrono::milliseconds timeout = options_.default_timeout;
  if (request.deadline != std::chrono::steady_clock::time_point::max()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        request.deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      return RefreshResult::NetworkFailure(
          TransientKind::kTimeout,
          "deadline passed before the request was sent");
    }
    timeout = left;
  }
  const std::chrono::milliseconds connect_timeout =
      std::min(timeout, options_.connect_timeout);

  // Headers carry no secrets (the request is validated: no CR/LF).
  Slist headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) return false;
    (void)headers.release();
    headers.reset(grown);
    return true;
  };
  bool headers_ok =
      add_header("Accept: application/json") &&
      add_header("Content-Type: application/x-www-form-urlencoded") &&
      // No "Expect: 100-continue" round trip for larger bodies.
      add_header("Expect:");
  if (!request.correlation_id.empty()) {
    headers_ok = headers_ok &&
                 add_header("client-request-id: " + request.correlation_id) &&
                 add_header("return-client-request-id: true");
  }
  for (const auto& [name, value] : request.extra_headers) {
    headers_ok = headers_ok && add_header(name + ": " + value);
  }
  if (!headers_ok)
    return RefreshResult::InternalError("curl_slist_append failed");

  // The form holds the refresh token (and client secret); SecretBytes wipes
  // it when this function returns. libcurl sends it from our buffer
  // (POSTFIELDS, not COPYPOSTFIELDS), so it makes no long-lived copy.
  const SecretBytes form = BuildRefreshForm(request);

  CURL* handle = Checkout();
  if (handle == nullptr)
    return RefreshResult::InternalError("curl_easy_init failed");
  struct Returner {
    CurlTokenEndpoint* self;
    CURL* handle;
    ~Returner() { self->Return(handle); }
  } returner{this, handle};

  Transfer transfer;
  transfer.cap = options_.max_response_bytes;

  CURLcode setup = CURLE_OK;
  auto set = [&setup, handle](CURLoption option, auto value) {
    if (setup == CURLE_OK) setup = curl_easy_setopt(handle, option, value);
  };
  set(CURLOPT_URL, url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  set(CURLOPT_PROTOCOLS_STR, target->http ? "http" : "https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
  set(CURLOPT_PROTOCOLS, target->http ? CURLPROTO_HTTP : CURLPROTO_HTTPS);
  set(CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTPS);
#endif
  // A token endpoint has no business redirecting; a 3xx is reported as a
  // server error rather than followed (possibly to another host, with the
  // refresh token in the body).
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_MAXREDIRS, 0L);
  // No SIGALRM for DNS timeouts: signals are unsafe in a library.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS,
      static_cast<long>(std::max<std::int64_t>(1, timeout.count())));
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<std::int64_t>(1, connect_timeout.count())));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str());
  // Loopback never goes through a proxy from the environment.
  if (target->loopback) set(CURLOPT_PROXY, "");
  set(CURLOPT_USERAGENT, options_.user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, form.data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  if (setup != CURLE_OK) {
    return RefreshResult::InternalError(
        std::string("curl_easy_setopt failed: ") + curl_easy_strerror(setup));
  }

  const CURLcode code = curl_easy_perform(handle);
  long http_status = 0;
  if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &http_status) !=
      CURLE_OK) {
    http_status = 0;
  }
  if (code != CURLE_OK) {
    return FromCurlError(code, transfer, http_status, *target,
                         options_.max_response_bytes);
  }
  return ParseTokenEndpointResponse(static_cast<int>(http_status),
                                    std::move(transfer.body),
                                    transfer.retry_after);
}

}  // namespace

Result<std::unique_ptr<TokenEndpoint>> NewCurlTokenEndpoint(
    CurlTokenEndpointOptions options) {
  if (options.default_timeout <= std::chrono::milliseconds(0) ||
      options.connect_timeout <= std::chrono::milliseconds(0)) {
    return InvalidArgumentError("curl token endpoint: timeouts must be > 0");
  }
  if (options.max_response_bytes == 0) {
    return InvalidArgumentError(
        "curl token endpoint: max_response_bytes must be > 0");
  }
  const CURLcode init = GlobalInit();
  if (init != CURLE_OK) {
    return InternalError(std::string("curl_global_init failed: ") +
                         curl_easy_strerror(init));
  }
  return std::unique_ptr<TokenEndpoint>(
      new CurlTokenEndpoint(std::move(options)));
}

}  // namespace tokencache
