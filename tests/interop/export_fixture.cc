// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// export_fixture OUT.json IN.json [IN.json ...]
//
// Reads each msal-written cache file with tokencache's MSAL JSON serializer,
// merges them into one CacheSnapshot and writes that with the same
// serializer. The entries of each section are written in reverse order, so
// the output is never a byte copy of an input (the serializer writes an
// msal-node file back byte for byte): msal-node then has to find every token
// in a file that only tokencache produced. Used by the interop ctest
// (run_interop.sh), which passes one fixture at a time and runs
// tests/node/msal_node_interop.js on OUT.json. Merging is plain
// concatenation, with no de-duplication: inputs that hold different tokens
// for the same account, client, tenant and scopes give an ambiguous cache.
//
// Exit status 0 on success, 1 on any error (the message names the file and
// the serializer's error; it never contains cache contents).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/serializer.h"
#include "tokencache/serializers/json.h"
#include "tokencache/status.h"

namespace {

// Reads the whole file into a SecretBytes: a cache file is all token text.
bool ReadFile(const char* path, tokencache::SecretBytes* out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "export_fixture: cannot open %s: %s\n", path,
                 std::strerror(errno));
    return false;
  }
  char buffer[8192];
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "export_fixture: cannot read %s: %s\n", path,
                   std::strerror(errno));
      ok = false;
      break;
    }
    if (n == 0) break;
    out->Append(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  tokencache::SecureWipe(buffer, sizeof(buffer));
  ::close(fd);
  return ok;
}

// Writes `bytes` to a new file readable by its owner only.
bool WriteFile(const char* path, const tokencache::SecretBytes& bytes) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "export_fixture: cannot create %s: %s\n", path,
                 std::strerror(errno));
    return false;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "export_fixture: cannot write %s: %s\n", path,
                   std::strerror(errno));
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return ::close(fd) == 0;
}

template <typename T>
void MoveAppend(std::vector<T>* from, std::vector<T>* to) {
  to->insert(to->end(), std::make_move_iterator(from->begin()),
             std::make_move_iterator(from->end()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: export_fixture OUT.json IN.json [IN.json ...]\n");
    return 1;
  }
  std::unique_ptr<tokencache::Serializer> json =
      tokencache::NewMsalJsonSerializer();
  tokencache::CacheSnapshot merged;
  for (int i = 2; i < argc; ++i) {
    tokencache::SecretBytes bytes;
    if (!ReadFile(argv[i], &bytes)) return 1;
    tokencache::Result<tokencache::CacheSnapshot> snapshot =
        json->Deserialize(bytes.view());
    if (!snapshot.ok()) {
      std::fprintf(stderr, "export_fixture: %s: %s\n", argv[i],
                   snapshot.status().ToString().c_str());
      return 1;
    }
    MoveAppend(&snapshot->accounts, &merged.accounts);
    MoveAppend(&snapshot->access_tokens, &merged.access_tokens);
    MoveAppend(&snapshot->refresh_tokens, &merged.refresh_tokens);
    MoveAppend(&snapshot->id_tokens, &merged.id_tokens);
    MoveAppend(&snapshot->app_metadata, &merged.app_metadata);
    MoveAppend(&snapshot->unknown_sections, &merged.unknown_sections);
  }
  std::reverse(merged.accounts.begin(), merged.accounts.end());
  std::reverse(merged.access_tokens.begin(), merged.access_tokens.end());
  std::reverse(merged.refresh_tokens.begin(), merged.refresh_tokens.end());
  std::reverse(merged.id_tokens.begin(), merged.id_tokens.end());
  std::reverse(merged.app_metadata.begin(), merged.app_metadata.end());

  tokencache::Result<tokencache::SecretBytes> out = json->Serialize(merged);
  if (!out.ok()) {
    std::fprintf(stderr, "export_fixture: serialize: %s\n",
                 out.status().ToString().c_str());
    return 1;
  }
  if (!WriteFile(argv[1], *out)) return 1;
  std::printf(
      "export_fixture: wrote %zu accounts, %zu access tokens, "
      "%zu refresh tokens, %zu ID tokens, %zu app metadata\n",
      merged.accounts.size(), merged.access_tokens.size(),
      merged.refresh_tokens.size(), merged.id_tokens.size(),
      merged.app_metadata.size());
  return 0;
}
