// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The TokenEndpoint extension point: request helpers, the NVI firewall,
// response parsing and classification. No HTTP here; see
// curl_token_endpoint.cc for the libcurl client.

#include "tokencache/token_endpoint.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <iomanip>
#include <limits>
#include <locale>
#include <sstream>
#include <system_error>
#include <utility>

namespace tokencache {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Percent-encodes `value` into `out` (RFC 3986: unreserved characters stay,
// every other byte becomes %XX). Written here rather than with
// curl_easy_escape so the refresh token goes straight into the wiped buffer
// instead of through a libcurl heap copy, and so SDKs without libcurl can use
// BuildRefreshForm().
void AppendEncoded(std::string_view value, SecretBytes& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool unreserved =
        std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved && c < 0x80) continue;
    out.Append(value.substr(start, i - start));
    const char escaped[3] = {'%', kHex[c >> 4], kHex[c & 0x0F]};
    out.Append(std::string_view(escaped, 3));
    start = i + 1;
  }
  out.Append(value.substr(start));
}

void AppendField(std::string_view name, std::string_view value, bool first,
                 SecretBytes& out) {
  if (!first) out.Append("&");
  AppendEncoded(name, out);
  out.Append("=");
  AppendEncoded(value, out);
}

constexpr std::string_view kStandardFields[] = {
    "grant_type",  "client_id",     "refresh_token", "scope",
    "client_info", "client_secret", "claims"};

bool HasControlChar(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return c == '\r' || c == '\n' || c == '\0';
  });
}

// Only codes from this list are named in messages. A server can put
// anything into `error` (a buggy proxy may echo the request, refresh token
// included), so "looks like an identifier" is not enough.
constexpr std::string_view kKnownCodes[] = {
    // RFC 6749 §5.2, RFC 8628, OIDC, RFC 9449.
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope", "access_denied", "server_error",
    "temporarily_unavailable", "authorization_pending", "slow_down",
    "expired_token", "interaction_required", "login_required",
    "consent_required", "invalid_dpop_proof", "use_dpop_nonce",
    // Entra / MSAL errors and suberrors.
    "invalid_resource", "request_timeout", "bad_token", "ui_not_allowed",
    "interrupted_user", "client_mismatch", "protection_policy_required",
    "basic_action", "additional_action", "message_only",
    "user_password_expired", "token_expired", "device_authentication_failed",
    "insufficient_claims"};

// Returns `code` when it is a known code, "other" when it is not, and an
// empty view when there is none.
std::string_view CodeForMessage(std::string_view code) {
  if (code.empty()) return code;
  for (std::string_view known : kKnownCodes) {
    if (code == known) return known;
  }
  return "other";
}

// True when `text` holds 8 or more consecutive bytes of `secret` (or all of
// a shorter one).
bool QuotesSecret(std::string_view text, std::string_view secret) {
  if (secret.empty()) return false;
  const std::size_t window = std::min<std::size_t>(8, secret.size());
  for (std::size_t i = 0; i + window <= secret.size(); ++i) {
    if (text.find(secret.substr(i, window)) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

TransientKind TransientForStatus(int status) {
  if (status >= 500 && status <= 599) return TransientKind::kHttp5xx;
  if (status == 429) return TransientKind::kHttp429;
  if (status == 408) return TransientKind::kHttp408;
  return TransientKind::kNone;
}

// ----- Retry-After -----

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's
// days_from_civil), so no timegm()/_mkgmtime() platform split is needed.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;  // March-based month
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> ParseHttpDate(std::string_view value) {
  // RFC 9110 §5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime
  // forms. std::get_time with the classic locale reads English names
  // whatever the process locale is.
  static constexpr const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",
      "%A, %d-%b-%y %H:%M:%S GMT",
      "%a %b %d %H:%M:%S %Y",
  };
  for (const char* format : kFormats) {
    std::tm tm{};
    std::istringstream in{std::string(value)};
    in.imbue(std::locale::classic());
    in >> std::get_time(&tm, format);
    if (in.fail()) continue;
    in >> std::ws;
    if (!in.eof()) continue;
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
      continue;
    }
    std::int64_t year = tm.tm_year + 1900;
    // RFC 850 two-digit years: RFC 9110 says a year that looks more than
    // 50 years in the future is in the past; std::get_time already maps
    // 69-99 to 19xx and 00-68 to 20xx, which is close enough for a
    // Retry-After.
    const std::int64_t days =
        DaysFromCivil(year, static_cast<unsigned>(tm.tm_mon + 1),
                      static_cast<unsigned>(tm.tm_mday));
    return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' ||
                           text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// ----- JSON -----

using Value = rapidjson::Value;

// Reads an optional integer that MSAL servers send as a number or as a
// numeric string. Returns false (the field is malformed) for anything else.
bool ReadInteger(const Value& object, const char* name,
                 std::optional<std::int64_t>& out) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return true;
  const Value& v = it->value;
  if (v.IsInt64()) {
    out = v.GetInt64();
    return true;
  }
  if (v.IsUint64()) return false;  // Above int64: nonsense for seconds.
  if (v.IsDouble()) {
    const double d = v.GetDouble();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e15) return false;
    out = static_cast<std::int64_t>(d);  // Truncates, as PY's int() does.
    return true;
  }
  if (!v.IsString()) return false;
  std::string_view text(v.GetString(), v.GetStringLength());
  if (text.empty() || text.size() > 18) return false;
  std::size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  std::int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = text[0] == '-' ? -value : value;
  return true;
}

// Reads an optional string member; false when it has another type.
bool ReadString(const Value& object, const char* name, std::string& out) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool ReadSecret(const Value& object, const char* name, SecretBytes& out) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) return false;
  out.Assign(
      std::string_view(it->value.GetString(), it->value.GetStringLength()));
  return true;
}

// Reads the OAuth2 error members that are present; ignores wrong types
// (an error answer is already a failure; keep what can be kept).
void ReadServerError(const Value& object, ServerError& error) {
  auto copy = [&object](const char* name, std::string& out) {
    if (!ReadString(object, name, out)) out.clear();
  };
  copy("error", error.error);
  copy("error_description", error.error_description);
  copy("suberror", error.suberror);
  copy("error_uri", error.error_uri);
  copy("timestamp", error.timestamp);
  copy("trace_id", error.trace_id);
  copy("correlation_id", error.correlation_id);
  auto claims = object.FindMember("claims");
  if (claims != object.MemberEnd() && claims->value.IsString()) {
    error.claims.assign(claims->value.GetString(),
                        claims->value.GetStringLength());
  }
  auto codes = object.FindMember("error_codes");
  if (codes != object.MemberEnd() && codes->value.IsArray()) {
    for (const Value& code : codes->value.GetArray()) {
      if (code.IsInt64()) error.error_codes.push_back(code.GetInt64());
    }
  }
}

std::string StatusText(int status) { return "HTTP " + std::to_string(status); }

// Fills `result` for a server error answer.
RefreshResult MakeServerError(int status, ServerError error,
                              std::optional<std::chrono::seconds> retry) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kServerError;
  error.http_status = status;
  result.transient = TransientForStatus(status);
  result.retry_after = retry;
  result.message = "token endpoint answered " + StatusText(status);
  if (std::string_view code = CodeForMessage(error.error); !code.empty()) {
    result.message += " error=";
    result.message.append(code);
  }
  if (std::string_view code = CodeForMessage(error.suberror); !code.empty()) {
    result.message += " suberror=";
    result.message.append(code);
  }
  result.server_error = std::move(error);
  return result;
}

}  // namespace

// ----- request helpers -----

std::string TokenEndpointUrl(std::string_view authority) {
  if (!authority.empty() && authority.back() == '/') {
    authority.remove_suffix(1);
  }
  std::string url(authority);
  url += "/oauth2/v2.0/token";
  return url;
}

std::string ComposeRefreshScope(const std::vector<std::string>& scopes) {
  std::vector<std::string_view> out;
  auto add = [&out](std::string_view scope) {
    if (scope.empty()) return;
    for (std::string_view seen : out) {
      if (EqualsIgnoreCase(seen, scope)) return;
    }
    out.push_back(scope);
  };
  for (const std::string& scope : scopes) add(scope);
  add("openid");
  add("profile");
  add("offline_access");
  std::string joined;
  for (std::string_view scope : out) {
    if (!joined.empty()) joined += ' ';
    joined.append(scope);
  }
  return joined;
}

std::string RefreshRequest::EndpointUrl() const {
  if (!token_endpoint.empty()) return token_endpoint;
  if (authority.empty()) return std::string();
  return TokenEndpointUrl(authority);
}

void RefreshRequest::SetTimeout(std::chrono::milliseconds timeout) {
  // now + milliseconds::max() (a natural "no limit") would overflow the
  // clock's nanoseconds, which is undefined and in practice a deadline in
  // the past. About 30 years stands for no limit.
  constexpr std::chrono::milliseconds kForever =
      std::chrono::hours(24 * 365 * 30);
  deadline = std::chrono::steady_clock::now() +
             std::clamp(timeout, std::chrono::milliseconds(0), kForever);
}

SecretBytes BuildRefreshForm(const RefreshRequest& request) {
  SecretBytes form;
  AppendField("grant_type", "refresh_token", true, form);
  AppendField("client_id", request.client_id, false, form);
  AppendField("refresh_token", request.refresh_token.view(), false, form);
  AppendField("scope", ComposeRefreshScope(request.scopes), false, form);
  AppendField("client_info", "1", false, form);
  if (!request.client_secret.empty()) {
    AppendField("client_secret", request.client_secret.view(), false, form);
  }
  if (!request.claims.empty()) {
    AppendField("claims", request.claims, false, form);
  }
  for (const auto& [name, value] : request.extra_body_parameters) {
    AppendField(name, value, false, form);
  }
  return form;
}

Status ValidateRefreshRequest(const RefreshRequest& request) {
  if (request.client_id.empty()) {
    return InvalidArgumentError("refresh request has no client_id");
  }
  if (request.refresh_token.empty()) {
    return InvalidArgumentError("refresh request has no refresh_token");
  }
  if (request.EndpointUrl().empty()) {
    return InvalidArgumentError(
        "refresh request has neither authority nor token_endpoint");
  }
  if (HasControlChar(request.EndpointUrl())) {
    return InvalidArgumentError("token endpoint URL holds a control character");
  }
  if (HasControlChar(request.correlation_id)) {
    return InvalidArgumentError("correlation_id holds CR, LF or NUL");
  }
  for (std::size_t i = 0; i < request.extra_headers.size(); ++i) {
    const auto& [name, value] = request.extra_headers[i];
    if (name.empty() || HasControlChar(name) ||
        name.find(':') != std::string::npos ||
        name.find(' ') != std::string::npos || HasControlChar(value)) {
      return InvalidArgumentError("extra header #" + std::to_string(i) +
                                  " has an invalid name or value");
    }
  }
  for (std::size_t i = 0; i < request.extra_body_parameters.size(); ++i) {
    const std::string& name = request.extra_body_parameters[i].first;
    if (name.empty()) {
      return InvalidArgumentError("extra body parameter #" + std::to_string(i) +
                                  " has no name");
    }
    for (std::string_view standard : kStandardFields) {
      if (name == standard) {
        return InvalidArgumentError("extra body parameter #" +
                                    std::to_string(i) +
                                    " repeats a standard field");
      }
    }
  }
  return Status();
}

// ----- RefreshResult -----

RefreshResult RefreshResult::Success(TokenResponse response) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kSuccess;
  result.response = std::move(response);
  return result;
}

RefreshResult RefreshResult::NetworkFailure(TransientKind kind,
                                            std::string message) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kNetworkError;
  result.transient =
      kind == TransientKind::kNone ? TransientKind::kNetwork : kind;
  result.message = std::move(message);
  return result;
}

RefreshResult RefreshResult::InvalidResponse(int http_status,
                                             std::string message) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kInvalidResponse;
  result.server_error.http_status = http_status;
  result.message = std::move(message);
  return result;
}

RefreshResult RefreshResult::RequestRejected(std::string message) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kRequestRejected;
  result.message = std::move(message);
  return result;
}

RefreshResult RefreshResult::InternalError(std::string message) {
  RefreshResult result;
  result.outcome = RefreshOutcome::kInternalError;
  result.message = std::move(message);
  return result;
}

// ----- parsing -----

std::optional<std::chrono::seconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    // Saturate absurd values instead of overflowing.
    if (value.size() > 12) return std::chrono::seconds(999999999999);
    std::int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::chrono::seconds(seconds);
  }
  std::optional<std::int64_t> at = ParseHttpDate(value);
  if (!at) return std::nullopt;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  return std::chrono::seconds(std::max<std::int64_t>(0, *at - now_s));
}

RefreshResult ParseTokenEndpointResponse(
    int http_status, SecretBytes body, std::string_view retry_after,
    std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::seconds> retry = ParseRetryAfter(retry_after, now);
  const bool status_ok = http_status >= 200 && http_status <= 299;

  // In-situ parsing needs a terminating NUL; string values then point into
  // `body`. The DOM itself holds only nodes and numbers (in-situ strings
  // are never copied), so nothing secret outlives `body`. The iterative
  // parser keeps deep nesting off the stack; text after the root value is
  // a parse error.
  body.Append(std::string_view("\0", 1));
  rapidjson::Document doc;
  doc.ParseInsitu<rapidjson::kParseIterativeFlag>(body.mutable_data());
  const bool is_object = !doc.HasParseError() && doc.IsObject();

  if (is_object) {
    auto error_member = doc.FindMember("error");
    if (error_member != doc.MemberEnd() && error_member->value.IsString() &&
        error_member->value.GetStringLength() > 0) {
      ServerError error;
      ReadServerError(doc, error);
      return MakeServerError(http_status, std::move(error), retry);
    }
  }
  if (!status_ok) {
    ServerError error;
    if (is_object) ReadServerError(doc, error);
    return MakeServerError(http_status, std::move(error), retry);
  }
  if (!is_object) {
    return RefreshResult::InvalidResponse(
        http_status, "token endpoint answered " + StatusText(http_status) +
                         " with a body that is not a JSON object");
  }

  auto invalid = [http_status](const char* field) {
    return RefreshResult::InvalidResponse(
        http_status, std::string("token endpoint answer has a malformed '") +
                         field + "' member");
  };
  TokenResponse response;
  if (!ReadSecret(doc, "access_token", response.access_token)) {
    return invalid("access_token");
  }
  if (response.access_token.empty()) {
    return RefreshResult::InvalidResponse(
        http_status, "token endpoint answer has no access_token");
  }
  if (!ReadSecret(doc, "refresh_token", response.refresh_token)) {
    return invalid("refresh_token");
  }
  if (!ReadSecret(doc, "id_token", response.id_token)) {
    return invalid("id_token");
  }
  if (!ReadString(doc, "token_type", response.token_type)) {
    return invalid("token_type");
  }
  if (!ReadString(doc, "scope", response.scope)) return invalid("scope");
  if (!ReadString(doc, "client_info", response.client_info)) {
    return invalid("client_info");
  }
  if (!ReadInteger(doc, "expires_in", response.expires_in)) {
    return invalid("expires_in");
  }
  if (!ReadInteger(doc, "ext_expires_in", response.ext_expires_in)) {
    return invalid("ext_expires_in");
  }
  if (!ReadInteger(doc, "refresh_in", response.refresh_in)) {
    return invalid("refresh_in");
  }
  if (!ReadInteger(doc, "refresh_token_expires_in",
                   response.refresh_token_expires_in)) {
    return invalid("refresh_token_expires_in");
  }
  auto foci = doc.FindMember("foci");
  if (foci != doc.MemberEnd() && !foci->value.IsNull()) {
    if (foci->value.IsString()) {
      response.foci.assign(foci->value.GetString(),
                           foci->value.GetStringLength());
    } else if (foci->value.IsInt64()) {
      response.foci = std::to_string(foci->value.GetInt64());
    } else {
      return invalid("foci");
    }
  }
  return RefreshResult::Success(std::move(response));
}

// ----- TokenEndpoint -----

TokenEndpoint::~TokenEndpoint() = default;

RefreshResult TokenEndpoint::Refresh(const RefreshRequest& request) {
  const std::string prefix = std::string(Name()) + ": ";
  auto tag = [&prefix, &request](RefreshResult result) {
    // Last line of defence for implementations (ours included) that build
    // a message from data which turned out to hold the request's secrets.
    if (QuotesSecret(result.message, request.refresh_token.view()) ||
        QuotesSecret(result.message, request.client_secret.view())) {
      result.message = std::string(RefreshOutcomeName(result.outcome)) +
                       " (message withheld: it quoted a request secret)";
    }
    result.message.insert(0, prefix);
    return result;
  };
  Status valid = ValidateRefreshRequest(request);
  if (!valid.ok()) return tag(RefreshResult::RequestRejected(valid.message()));
  if (std::chrono::steady_clock::now() >= request.deadline) {
    return tag(RefreshResult::NetworkFailure(
        TransientKind::kTimeout,
        "deadline passed before the request was sent"));
  }
  try {
    RefreshResult result = DoRefresh(request);
    if (result.outcome == RefreshOutcome::kSuccess &&
        result.response.access_token.empty()) {
      return tag(RefreshResult::InvalidResponse(
          result.server_error.http_status,
          "implementation reported success without an access token"));
    }
    return tag(std::move(result));
  } catch (const std::system_error&) {
    // An OS-level failure (socket, resolver) from the SDK's HTTP stack.
    return tag(RefreshResult::NetworkFailure(
        TransientKind::kNetwork, "I/O exception in the token endpoint"));
  } catch (const std::exception&) {
    // what() may quote request data; keep only the fact.
    return tag(RefreshResult::InternalError(
        "unexpected exception in the token endpoint"));
  } catch (...) {
    return tag(RefreshResult::InternalError(
        "unexpected exception in the token endpoint"));
  }
}

// ----- classification -----

namespace {

bool IsOneOf(std::string_view value,
             std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

UiRequiredClassification ClassificationFor(std::string_view suberror) {
  if (suberror == "message_only") return UiRequiredClassification::kMessageOnly;
  if (suberror == "basic_action") return UiRequiredClassification::kBasicAction;
  if (suberror == "additional_action") {
    return UiRequiredClassification::kAdditionalAction;
  }
  if (suberror == "consent_required") {
    return UiRequiredClassification::kConsentRequired;
  }
  if (suberror == "user_password_expired") {
    return UiRequiredClassification::kUserPasswordExpired;
  }
  return UiRequiredClassification::kNone;
}

UiRequiredReason ReasonForError(std::string_view error) {
  if (error == "invalid_grant") return UiRequiredReason::kInvalidGrant;
  if (error == "interaction_required") {
    return UiRequiredReason::kInteractionRequired;
  }
  if (error == "consent_required") return UiRequiredReason::kConsentRequired;
  if (error == "login_required") return UiRequiredReason::kLoginRequired;
  if (error == "bad_token") return UiRequiredReason::kBadToken;
  if (error == "ui_not_allowed") return UiRequiredReason::kUiNotAllowed;
  if (error == "interrupted_user") return UiRequiredReason::kInterruptedUser;
  return UiRequiredReason::kOther;
}

}  // namespace

ErrorClassification Classify(const RefreshResult& result) {
  ErrorClassification c;
  switch (result.outcome) {
    case RefreshOutcome::kSuccess:
      return c;
    case RefreshOutcome::kNetworkError:
      c.category = ErrorCategory::kTransient;
      c.transient = result.transient == TransientKind::kNone
                        ? TransientKind::kNetwork
                        : result.transient;
      return c;
    case RefreshOutcome::kInvalidResponse:
      c.category = ErrorCategory::kServiceError;
      c.service_reason = ServiceErrorReason::kInvalidResponse;
      return c;
    case RefreshOutcome::kRequestRejected:
      c.category = ErrorCategory::kServiceError;
      c.service_reason = ServiceErrorReason::kRequestRejected;
      return c;
    case RefreshOutcome::kInternalError:
      c.category = ErrorCategory::kServiceError;
      c.service_reason = ServiceErrorReason::kInternal;
      return c;
    case RefreshOutcome::kServerError:
      break;
  }

  const ServerError& e = result.server_error;
  const int status = e.http_status;
  const TransientKind by_status = TransientForStatus(status);
  const bool client_mismatch =
      e.error == "invalid_grant" && e.suberror == "client_mismatch";
  const bool protection_policy =
      e.error == "invalid_grant" && e.suberror == "protection_policy_required";

  bool ui = false;
  if (e.error == "invalid_grant") {
    ui = !client_mismatch && !protection_policy;
  } else if (IsOneOf(e.error, {"interaction_required", "consent_required",
                               "login_required", "bad_token", "ui_not_allowed",
                               "interrupted_user"})) {
    ui = true;
  }
  if (!client_mismatch && !protection_policy &&
      IsOneOf(e.suberror,
              {"message_only", "additional_action", "basic_action",
               "user_password_expired", "consent_required", "bad_token",
               "ui_not_allowed", "interrupted_user"})) {
    ui = true;
  }
  const bool claims_challenge = !e.claims.empty() && status >= 400 &&
                                status <= 499 &&
                                by_status == TransientKind::kNone &&
                                !client_mismatch && !protection_policy;
  if (claims_challenge) ui = true;

  if (ui) {
    c.category = ErrorCategory::kUiRequired;
    c.ui_classification = ClassificationFor(e.suberror);
    if (!e.claims.empty()) {
      c.ui_reason = UiRequiredReason::kClaimsChallenge;
    } else if (e.error == "bad_token" || e.suberror == "bad_token") {
      c.ui_reason = UiRequiredReason::kBadToken;
    } else {
      c.ui_reason = ReasonForError(e.error);
    }
    return c;
  }

  TransientKind transient = by_status;
  if (transient == TransientKind::kNone &&
      IsOneOf(e.error, {"temporarily_unavailable", "request_timeout"})) {
    transient = TransientKind::kServerBusy;
  }
  if (transient != TransientKind::kNone) {
    c.category = ErrorCategory::kTransient;
    c.transient = transient;
    if (result.retry_after) {
      c.retry_after = std::min(*result.retry_after, kMaxRetryAfter);
    }
    return c;
  }

  c.category = ErrorCategory::kServiceError;
  if (client_mismatch) {
    c.service_reason = ServiceErrorReason::kClientMismatch;
  } else if (protection_policy) {
    c.service_reason = ServiceErrorReason::kProtectionPolicyRequired;
  } else if (e.error == "invalid_client") {
    c.service_reason = ServiceErrorReason::kInvalidClient;
  } else if (e.error_description.rfind("AADSTS50196", 0) == 0) {
    c.service_reason = ServiceErrorReason::kRequestThrottled;
  } else {
    c.service_reason = ServiceErrorReason::kOther;
  }
  return c;
}

const char* ErrorCategoryName(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kNone:
      return "none";
    case ErrorCategory::kUiRequired:
      return "ui_required";
    case ErrorCategory::kTransient:
      return "transient";
    case ErrorCategory::kServiceError:
      return "service_error";
  }
  return "unknown";
}

const char* UiRequiredReasonName(UiRequiredReason reason) {
  switch (reason) {
    case UiRequiredReason::kNone:
      return "none";
    case UiRequiredReason::kInvalidGrant:
      return "invalid_grant";
    case UiRequiredReason::kInteractionRequired:
      return "interaction_required";
    case UiRequiredReason::kConsentRequired:
      return "consent_required";
    case UiRequiredReason::kLoginRequired:
      return "login_required";
    case UiRequiredReason::kBadToken:
      return "bad_token";
    case UiRequiredReason::kClaimsChallenge:
      return "claims_challenge";
    case UiRequiredReason::kUiNotAllowed:
      return "ui_not_allowed";
    case UiRequiredReason::kInterruptedUser:
      return "interrupted_user";
    case UiRequiredReason::kOther:
      return "other";
  }
  return "unknown";
}

const char* TransientKindName(TransientKind kind) {
  switch (kind) {
    case TransientKind::kNone:
      return "none";
    case TransientKind::kHttp5xx:
      return "http_5xx";
    case TransientKind::kHttp429:
      return "http_429";
    case TransientKind::kHttp408:
      return "http_408";
    case TransientKind::kServerBusy:
      return "server_busy";
    case TransientKind::kTimeout:
      return "timeout";
    case TransientKind::kConnectionRefused:
      return "connection_refused";
    case TransientKind::kNameResolution:
      return "name_resolution";
    case TransientKind::kTls:
      return "tls";
    case TransientKind::kNetwork:
      return "network";
  }
  return "unknown";
}

const char* RefreshOutcomeName(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::kSuccess:
      return "success";
    case RefreshOutcome::kServerError:
      return "server_error";
    case RefreshOutcome::kNetworkError:
      return "network_error";
    case RefreshOutcome::kInvalidResponse:
      return "invalid_response";
    case RefreshOutcome::kRequestRejected:
      return "request_rejected";
    case RefreshOutcome::kInternalError:
      return "internal_error";
  }
  return "unknown";
}

const char* ServiceErrorReasonName(ServiceErrorReason reason) {
  switch (reason) {
    case ServiceErrorReason::kNone:
      return "none";
    case ServiceErrorReason::kOther:
      return "other";
    case ServiceErrorReason::kClientMismatch:
      return "client_mismatch";
    case ServiceErrorReason::kProtectionPolicyRequired:
      return "protection_policy_required";
    case ServiceErrorReason::kInvalidClient:
      return "invalid_client";
    case ServiceErrorReason::kRequestThrottled:
      return "request_throttled";
    case ServiceErrorReason::kInvalidResponse:
      return "invalid_response";
    case ServiceErrorReason::kRequestRejected:
      return "request_rejected";
    case ServiceErrorReason::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace tokencache
