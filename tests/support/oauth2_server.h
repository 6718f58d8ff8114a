// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// OAuth2MockServer runs tests/node/mock_oauth2_server.js (oauth2-mock-server
// 9.3.0 under node) on 127.0.0.1 for the lifetime of the object: a real
// token endpoint that a test scripts (status, body, headers, delay) and
// whose received requests it inspects. See the .js file for the control API.
//
// Start() fails (never skips) when node or tests/node/node_modules is
// missing; run `npm ci --ignore-scripts` in tests/node. The destructor stops
// the process; if the test process dies, node sees its stdin close and exits.
//
// Link: add tests/support/oauth2_server.cc to the test's SOURCES and link
// CURL::libcurl and tokencache_dep_rapidjson, or link the
// tokencache_test_oauth2_server library from tests/token_endpoint.
//
// Not thread-safe: drive one server from one thread (the code under test
// may call the endpoint from many).

#ifndef TOKENCACHE_TESTS_SUPPORT_OAUTH2_SERVER_H_
#define TOKENCACHE_TESTS_SUPPORT_OAUTH2_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/schema.h"
#include "tokencache/status.h"

namespace tokencache {
namespace test {

// One scripted answer to one token request.
struct MockResponse {
  int status = 200;
  // A JSON value that replaces the whole generated body. Empty: keep the
  // generated success body (a signed JWT access token and ID token, a fresh
  // refresh token, token_type, expires_in 3600, scope).
  std::string body_json;
  // A JSON object merged into the generated success body; a member whose
  // value is null is removed. Empty: none.
  std::string merge_json;
  StringPairs headers;  // e.g. {"Retry-After", "7"}
  std::chrono::milliseconds delay{0};
  // Sent verbatim (repeated raw_repeat times) instead of JSON, with
  // content_type (default application/json).
  std::optional<std::string> raw_body;
  int raw_repeat = 1;
  std::string content_type;
  bool drop_connection = false;          // Close the socket without answering.
  std::string id_token_claims_json;      // Merged into the ID token payload.
  std::string access_token_claims_json;  // Merged into the AT payload.

  // A generated success body with `merge_json` merged in.
  static MockResponse Success(std::string merge_json = "");
  // `status` with {"error", "error_description", "suberror", "claims"};
  // empty ones are left out.
  static MockResponse Error(int status, std::string_view error,
                            std::string_view suberror = "",
                            std::string_view claims = "");

  // The control-API entry for this response.
  std::string ToJson() const;
};

// A token request as the server received it.
struct RecordedRequest {
  int seq = 0;
  std::string method;
  std::string path;
  std::string tenant;  // From /<tenant>/oauth2/v2.0/token; empty otherwise.
  std::string content_type;
  std::map<std::string, std::string> headers;  // Lower-case names.
  bool has_form = false;
  std::map<std::string, std::string> form;  // Decoded form fields.

  // The form field `name`, or std::nullopt.
  std::optional<std::string> Field(const std::string& name) const;
};

class OAuth2MockServer {
 public:
  // Spawns node, waits (up to 15 s) for the port line. Returns kNotFound
  // when node or the node packages are missing, kUnavailable when the
  // process dies or stays silent.
  static Result<std::unique_ptr<OAuth2MockServer>> Start();

  OAuth2MockServer(const OAuth2MockServer&) = delete;
  OAuth2MockServer& operator=(const OAuth2MockServer&) = delete;
  ~OAuth2MockServer();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // "http://127.0.0.1:<port>"
  std::string BaseUrl() const;
  // "http://127.0.0.1:<port>/<tenant>"
  std::string Authority(std::string_view tenant = "mock-tenant") const;

  // Queues answers, consumed one per token request in arrival order.
  Status Script(const MockResponse& response);
  Status Script(const std::vector<MockResponse>& responses);
  // The answer used when the queue is empty (MockResponse{} = plain
  // success).
  Status SetDefault(const MockResponse& response);
  // Empties the queue, the default and the request record.
  Status Reset();
  // Every token request received so far, in arrival order.
  Result<std::vector<RecordedRequest>> Requests();

  // Stops the node process now (the destructor does it otherwise); the port
  // is then closed, which tests use for "connection refused".
  void Stop();

 private:
  OAuth2MockServer() = default;
  Result<std::string> Control(const char* method, std::string_view path,
                              std::string_view body);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SUPPORT_OAUTH2_SERVER_H_
