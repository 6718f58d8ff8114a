// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A TokenEndpoint over libcurl for standard OAuth2 / Entra token endpoints
// (grant_type=refresh_token). Link tokencache::token_endpoint_curl.
//
// It POSTs the form from BuildRefreshForm() with Accept: application/json,
// verifies TLS, speaks https only (plain http only to loopback, and only when
// allowed), follows no redirects, bounds every call by the request deadline
// and caps the answer's size. Buffers that held tokens are wiped.
//
// Thread safety: one endpoint may serve any number of threads at once; each
// call uses its own libcurl easy handle, taken from a small pool so that
// connections are reused. libcurl is initialised once per process
// (curl_global_init, thread-safely) and never cleaned up.

#ifndef TOKENCACHE_BACKENDS_CURL_TOKEN_ENDPOINT_H_
#define TOKENCACHE_BACKENDS_CURL_TOKEN_ENDPOINT_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "tokencache/export.h"
#include "tokencache/status.h"
#include "tokencache/token_endpoint.h"

namespace tokencache {

struct CurlTokenEndpointOptions {
  // Time allowed for a call whose RefreshRequest has no deadline.
  // Default: 30 s.
  std::chrono::milliseconds default_timeout{30000};
  // Upper bound on connecting (DNS + TCP + TLS); the deadline still wins
  // when it is nearer. Default: 10 s.
  std::chrono::milliseconds connect_timeout{10000};
  // Answers with a larger body are dropped unread and reported as
  // kInvalidResponse. Default: 1 MiB (a token answer is a few KiB).
  std::size_t max_response_bytes = 1024 * 1024;
  // Tests only: also allow http:// URLs whose host is 127.0.0.1, [::1] or
  // localhost. Any other http URL is always refused. Default: false.
  bool allow_insecure_http_loopback = false;
  // PEM bundle of trusted CAs; empty means libcurl's default store.
  // Default: empty.
  std::string ca_file;
  // User-Agent header. Default: "tokencache/<version>".
  std::string user_agent;
  // Idle easy handles (and so connections) kept for reuse. 0 disables
  // reuse. Default: 4.
  std::size_t max_idle_handles = 4;
};

// Creates a libcurl token endpoint. Returns kInvalidArgument for options
// that make no sense (a zero timeout or size cap) and kInternal when libcurl
// cannot be initialised.
TOKENCACHE_EXPORT Result<std::unique_ptr<TokenEndpoint>> NewCurlTokenEndpoint(
    CurlTokenEndpointOptions options = {});

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_CURL_TOKEN_ENDPOINT_H_
