// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tests/support/oauth2_server.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace tokencache {
namespace test {
namespace {

#ifndef TOKENCACHE_SOURCE_DIR
#error "TOKENCACHE_SOURCE_DIR must be defined (tokencache_test_support)"
#endif

constexpr std::chrono::seconds kStartTimeout{15};

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::size_t AppendToString(char* data, std::size_t size, std::size_t count,
                           void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteRaw(Writer& w, const char* key, const std::string& json) {
  if (json.empty()) return;
  w.Key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string GetString(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::string();
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

void ReadStringMap(const rapidjson::Value& object, const char* name,
                   std::map<std::string, std::string>& out, bool* present) {
  auto it = object.FindMember(name);
  if (present != nullptr) *present = false;
  if (it == object.MemberEnd() || !it->value.IsObject()) return;
  if (present != nullptr) *present = true;
  for (const auto& member : it->value.GetObject()) {
    if (member.value.IsString()) {
      out.emplace(member.name.GetString(), member.value.GetString());
    }
  }
}

}  // namespace

// ----- MockResponse -----

MockResponse MockResponse::Success(std::string merge_json) {
  MockResponse response;
  response.merge_json = std::move(merge_json);
  return response;
}

MockResponse MockResponse::Error(int status, std::string_view error,
                                 std::string_view suberror,
                                 std::string_view claims) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  auto field = [&w](const char* name, std::string_view value) {
    if (value.empty()) return;
    w.Key(name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  field("error", error);
  field("error_description", "scripted error for a test");
  field("suberror", suberror);
  field("claims", claims);
  w.EndObject();
  MockResponse response;
  response.status = status;
  response.body_json = buffer.GetString();
  return response;
}

std::string MockResponse::ToJson() const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("status");
  w.Int(status);
  if (!body_json.empty()) {
    w.Key("body");
    // Any JSON value; kObjectType only affects the writer's bookkeeping.
    w.RawValue(body_json.data(), body_json.size(), rapidjson::kObjectType);
  }
  WriteRaw(w, "merge", merge_json);
  if (!headers.empty()) {
    w.Key("headers");
    w.StartObject();
    for (const auto& [name, value] : headers) {
      w.Key(name.c_str());
      w.String(value.c_str());
    }
    w.EndObject();
  }
  if (delay.count() > 0) {
    w.Key("delay_ms");
    w.Int64(delay.count());
  }
  if (raw_body) {
    w.Key("raw_body");
    w.String(raw_body->data(),
             static_cast<rapidjson::SizeType>(raw_body->size()));
    w.Key("raw_repeat");
    w.Int(raw_repeat);
  }
  if (!content_type.empty()) {
    w.Key("content_type");
    w.String(content_type.c_str());
  }
  if (drop_connection) {
    w.Key("drop_connection");
    w.Bool(true);
  }
  WriteRaw(w, "id_token_claims", id_token_claims_json);
  WriteRaw(w, "access_token_claims", access_token_claims_json);
  w.EndObject();
  return buffer.GetString();
}

std::optional<std::string> RecordedRequest::Field(
    const std::string& name) const {
  auto it = form.find(name);
  if (it == form.end()) return std::nullopt;
  return it->second;
}

// ----- OAuth2MockServer -----

Result<std::unique_ptr<OAuth2MockServer>> OAuth2MockServer::Start() {
  const std::string node_dir =
      std::string(TOKENCACHE_SOURCE_DIR) + "/tests/node";
  const std::string script = node_dir + "/mock_oauth2_server.js";
  if (!FileExists(script)) {
    return NotFoundError("mock server script missing: " + script);
  }
  if (!FileExists(node_dir + "/node_modules/oauth2-mock-server/package.json")) {
    return NotFoundError(
        "oauth2-mock-server is not installed: run `npm ci "
        "--ignore-scripts` in " +
        node_dir);
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return InternalError("curl_global_init failed");
  }

  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return Status(Code::kIoError, "pipe2 failed", errno);
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Status(Code::kIoError, "pipe2 failed", err);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  std::string arg0 = "node";
  std::string arg2 = "--exit-on-stdin-close";
  char* argv[] = {arg0.data(), const_cast<char*>(script.c_str()), arg2.data(),
                  nullptr};
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawnp(&pid, "node", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (spawn_error != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return Status(spawn_error == ENOENT ? Code::kNotFound : Code::kIoError,
                  "cannot run `node` (is Node.js 20+ on PATH?)", spawn_error);
  }

  std::unique_ptr<OAuth2MockServer> server(new OAuth2MockServer());
  server->pid_ = pid;
  server->stdin_fd_ = in_pipe[1];

  // Read the one JSON line that announces the port.
  std::string line;
  const auto give_up = std::chrono::steady_clock::now() + kStartTimeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::close(out_pipe[0]);
      return Status(Code::kUnavailable,
                    "mock OAuth2 server printed no port within 15 s");
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[256];
    const ssize_t n = ::read(out_pipe[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(out_pipe[0]);
      return Status(Code::kUnavailable,
                    "mock OAuth2 server exited before printing its port (see "
                    "its stderr above)");
    }
    line.append(chunk, static_cast<std::size_t>(n));
  }
  // Nothing else is read from stdout; closing it is safe because the
  // script writes exactly one line.
  ::close(out_pipe[0]);

  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.find('\n'));
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("port") ||
      !doc["port"].IsInt() || doc["port"].GetInt() <= 0 ||
      doc["port"].GetInt() > 65535) {
    return Status(Code::kUnavailable,
                  "mock OAuth2 server printed an unexpected first line");
  }
  server->port_ = static_cast<std::uint16_t>(doc["port"].GetInt());
  return server;
}

OAuth2MockServer::~OAuth2MockServer() { Stop(); }

void OAuth2MockServer::Stop() {
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string OAuth2MockServer::BaseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string OAuth2MockServer::Authority(std::string_view tenant) const {
  return BaseUrl() + "/" + std::string(tenant);
}

Result<std::string> OAuth2MockServer::Control(const char* method,
                                              std::string_view path,
                                              std::string_view body) {
  if (pid_ <= 0) return Status(Code::kUnavailable, "mock server is stopped");
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return InternalError("curl_easy_init failed");
  const std::string url = BaseUrl() + std::string(path);
  const std::string payload(body);
  std::string answer;
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  if (std::strcmp(method, "POST") == 0) {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(payload.size()));
  }
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer);
  const CURLcode code = curl_easy_perform(handle);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(handle);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return Status(Code::kUnavailable, std::string("mock control ") +
                                          std::string(path) + ": " +
                                          curl_easy_strerror(code));
  }
  if (status != 200) {
    // Control answers never hold tokens except /requests, which only fails
    // with a status line; quote the others for the test log.
    std::string detail =
        path == "/__control/requests" ? std::string() : ": " + answer;
    return Status(Code::kUnavailable, std::string("mock control ") +
                                          std::string(path) + " answered " +
                                          std::to_string(status) + detail);
  }
  return answer;
}

Status OAuth2MockServer::Script(const MockResponse& response) {
  return Script(std::vector<MockResponse>{response});
}

Status OAuth2MockServer::Script(const std::vector<MockResponse>& responses) {
  std::string body = "{\"responses\":[";
  for (std::size_t i = 0; i < responses.size(); ++i) {
    if (i > 0) body += ',';
    body += responses[i].ToJson();
  }
  body += "]}";
  return Control("POST", "/__control/script", body).status();
}

Status OAuth2MockServer::SetDefault(const MockResponse& response) {
  return Control("POST", "/__control/default", response.ToJson()).status();
}

Status OAuth2MockServer::Reset() {
  return Control("POST", "/__control/reset", "").status();
}

Result<std::vector<RecordedRequest>> OAuth2MockServer::Requests() {
  Result<std::string> answer = Control("GET", "/__control/requests", "");
  if (!answer.ok()) return answer.status();
  rapidjson::Document doc;
  doc.Parse(answer->c_str(), answer->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("requests") ||
      !doc["requests"].IsArray()) {
    return CorruptedError("mock control /requests: unexpected answer");
  }
  std::vector<RecordedRequest> out;
  for (const auto& item : doc["requests"].GetArray()) {
    if (!item.IsObject()) continue;
    RecordedRequest request;
    if (item.HasMember("seq") && item["seq"].IsInt()) {
      request.seq = item["seq"].GetInt();
    }
    request.method = GetString(item, "method");
    request.path = GetString(item, "path");
    request.tenant = GetString(item, "tenant");
    request.content_type = GetString(item, "content_type");
    ReadStringMap(item, "headers", request.headers, nullptr);
    ReadStringMap(item, "form", request.form, &request.has_form);
    out.push_back(std::move(request));
  }
  return out;
}

}  // namespace test
}  // namespace tokencache
