// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Helpers for the cache-core tests: builders for client_info and unsigned ID
// tokens, token responses, a snapshot serializer that keeps snapshots in a
// process-wide table (so Cache persistence is tested without the JSON
// serializer), and a fault-injecting BlobStore wrapper.

#ifndef TOKENCACHE_TESTS_CACHE_CORE_CORE_TEST_UTIL_H_
#define TOKENCACHE_TESTS_CACHE_CORE_CORE_TEST_UTIL_H_

#include <sodium.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "backends/memory/memory_blob_store.h"
#include "tokencache/blob_store.h"
#include "tokencache/schema.h"
#include "tokencache/serializer.h"
#include "tokencache/token_response.h"

namespace tokencache {
namespace test {

inline std::string Base64Url(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(
                      bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

inline std::string ClientInfoFor(const std::string& uid,
                                 const std::string& utid) {
  return Base64Url("{\"uid\":\"" + uid + "\",\"utid\":\"" + utid + "\"}");
}

// An unsigned JWT whose payload is the JSON object `claims_json`.
inline std::string Jwt(const std::string& claims_json) {
  return Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
         Base64Url(claims_json) + ".sig";
}

struct User {
  std::string uid;
  std::string utid;  // Home tenant.
  std::string username;
  std::string name;
  std::string home() const { return uid + "." + utid; }
};

inline const User& Alice() {
  static const User alice{"alice-uid", "contoso-tid", "alice@contoso.example",
                          "Alice"};
  return alice;
}
inline const User& Bob() {
  static const User bob{"bob-uid", "fabrikam-tid", "bob@fabrikam.example",
                        "Bob"};
  return bob;
}

// ID token of `user` as issued by `tenant` (oid differs per tenant for a
// guest, as in AAD).
inline std::string IdTokenFor(const User& user, const std::string& tenant) {
  const std::string oid =
      tenant == user.utid ? user.uid : user.uid + "-in-" + tenant;
  return Jwt("{\"tid\":\"" + tenant + "\",\"oid\":\"" + oid +
             "\",\"sub\":\"sub-" + user.uid + "\",\"preferred_username\":\"" +
             user.username + "\",\"name\":\"" + user.name + "\"}");
}

// A full interactive response for `user` from `tenant` granting `scope`.
inline TokenResponse UserResponse(const User& user, const std::string& tenant,
                                  const std::string& scope,
                                  const std::string& at_secret,
                                  const std::string& rt_secret = "rt") {
  TokenResponse r;
  r.access_token = SecretBytes(at_secret);
  if (!rt_secret.empty()) r.refresh_token = SecretBytes(rt_secret);
  r.id_token = SecretBytes(IdTokenFor(user, tenant));
  r.token_type = "Bearer";
  r.scope = scope;
  r.expires_in = 3600;
  r.ext_expires_in = 7200;
  r.client_info = ClientInfoFor(user.uid, user.utid);
  return r;
}

inline TokenRequestContext UserContext(const std::string& tenant,
                                       const std::string& client = "app-1",
                                       const std::string& host =
                                           "login.microsoftonline.com") {
  TokenRequestContext c;
  c.authority_host = host;
  c.tenant = tenant;
  c.client_id = client;
  c.grant = GrantKind::kInteractive;
  return c;
}

// Snapshot "serializer" that stores each snapshot in a process-wide table
// and returns its handle as the bytes. It behaves like a real serializer
// for the Cache (bytes in, snapshot out, kCorrupted for unknown bytes)
// while keeping core tests independent of the JSON serializer.
class HandleSerializer final : public Serializer {
 public:
  std::string_view Name() const override { return "test-handle"; }

  static int serialize_calls() { return calls().load(); }

 protected:
  Result<SecretBytes> DoSerialize(
      const CacheSnapshot& snapshot) const override {
    ++calls();
    std::lock_guard<std::mutex> guard(mu());
    const std::string handle = "snapshot:" + std::to_string(table().size());
    table().emplace(handle, snapshot);
    return SecretBytes(handle);
  }
  Result<CacheSnapshot> DoDeserialize(std::string_view bytes) const override {
    if (bytes.empty()) return CacheSnapshot{};
    std::lock_guard<std::mutex> guard(mu());
    auto it = table().find(std::string(bytes));
    if (it == table().end()) {
      return Status(Code::kCorrupted, "test-handle: unknown snapshot handle");
    }
    return it->second;
  }

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::map<std::string, CacheSnapshot>& table() {
    static std::map<std::string, CacheSnapshot> t;
    return t;
  }
  static std::atomic<int>& calls() {
    static std::atomic<int> c{0};
    return c;
  }
};

// Faults a test can arm on a FaultyBlobStore.
struct Faults {
  std::atomic<int> reads{0};
  std::atomic<int> peeks{0};
  std::atomic<int> writes{0};
  // The next N writes fail with `write_error` before reaching the store.
  std::atomic<int> fail_writes{0};
  Code write_error = Code::kIoError;
  // The next N writes find that "another process" wrote first: the slot is
  // bumped with `intruder_bytes` and then the write is attempted (and
  // refused by the CAS).
  std::atomic<int> intrude_before_writes{0};
  std::string intruder_bytes;
  std::atomic<int> fail_reads{0};
};

// A MemoryBlobStore with counters and injectable failures.
class FaultyBlobStore final : public BlobStore {
 public:
  FaultyBlobStore(std::shared_ptr<MemoryBlobStore::Slot> slot,
                  std::shared_ptr<Faults> faults)
      : inner_(std::move(slot)), faults_(std::move(faults)) {}
  std::string_view Name() const override { return "faulty"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    ++faults_->reads;
    if (faults_->fail_reads > 0) {
      --faults_->fail_reads;
      return Status(Code::kUnavailable, "injected read failure");
    }
    return inner_.Read();
  }
  Result<BlobVersion> DoPeekVersion() override {
    ++faults_->peeks;
    return inner_.PeekVersion();
  }
  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    ++faults_->writes;
    if (faults_->fail_writes > 0) {
      --faults_->fail_writes;
      return Status(faults_->write_error, "injected write failure");
    }
    if (faults_->intrude_before_writes > 0) {
      --faults_->intrude_before_writes;
      Result<BlobVersion> intruded =
          inner_.Write(faults_->intruder_bytes, std::nullopt);
      if (!intruded.ok()) return intruded.status();
    }
    return inner_.Write(bytes, expected);
  }

 private:
  MemoryBlobStore inner_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_CACHE_CORE_CORE_TEST_UTIL_H_
