// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The child process of the keychain tests. Each mode does one thing with
// the library in whatever environment the parent gave it and prints the
// outcome on stdout: "OK ..." or "ERR <CODE_NAME> <message>".
//
//   open URI CANARY      open the cache, store an access token whose secret
//                        is CANARY, read it back
//   counter URI N        N transactional increments of a counter record;
//                        prints every value this process committed
//   keyid SPEC           the key id (hex) of the keychain key source SPEC
//   probe                ProbeKeychain()

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tokencache/backends/keychain.h"
#include "tokencache/cipher.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

int Err(const Status& s) {
  std::cout << "ERR " << CodeName(s.code()) << " " << s.message()
            << std::endl;
  return 3;
}

AccessToken TokenWithSecret(const std::string& secret) {
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.microsoftonline.com";
  at.client_id = "client-1";
  at.realm = "utid";
  at.target = "user.read";
  at.secret = SecretBytes(secret);
  at.cached_at = 1700000000;
  at.expires_on = 4000000000;
  at.extended_expires_on = 4000000000;
  return at;
}

int Open(const std::string& uri, const std::string& canary) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  if (!cache.ok()) return Err(cache.status());
  CacheSnapshot snapshot;
  snapshot.access_tokens.push_back(TokenWithSecret(canary));
  Status s = (*cache)->Import(snapshot);
  if (!s.ok()) return Err(s);
  Result<CacheSnapshot> back = (*cache)->Export();
  if (!back.ok()) return Err(back.status());
  if (back->access_tokens.size() != 1 ||
      !back->access_tokens[0].secret.Equals(canary)) {
    std::cout << "ERR MISMATCH read back differs" << std::endl;
    return 4;
  }
  std::cout << "OK" << std::endl;
  return 0;
}

int Counter(const std::string& uri, int n) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  if (!cache.ok()) return Err(cache.status());
  for (int i = 0; i < n; ++i) {
    long long committed = 0;
    Status s = (*cache)->Update([&](CacheTransaction& tx) {
      long long value = 0;
      for (const AppMetadata& m : tx.Export().app_metadata) {
        if (m.client_id == "counter") value = std::stoll(m.family_id);
      }
      CacheSnapshot next;
      next.app_metadata.push_back(
          AppMetadata{"counter", "login.example", std::to_string(value + 1),
                      {}});
      tx.Import(next);
      committed = value + 1;
      return Status();
    });
    if (!s.ok()) return Err(s);
    std::cout << committed << "\n";
  }
  std::cout << std::flush;
  return 0;
}

int KeyId(const std::string& spec) {
  Result<std::unique_ptr<KeySource>> source = KeychainKeySourceFromSpec(spec);
  if (!source.ok()) return Err(source.status());
  Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
  if (!cipher.ok()) return Err(cipher.status());
  Result<std::string> sealed = (*cipher)->Seal("x", BlobContext("keyid"));
  if (!sealed.ok()) return Err(sealed.status());
  Result<EnvelopeInfo> info = InspectEnvelope(*sealed);
  if (!info.ok()) return Err(info.status());
  std::cout << "OK ";
  for (std::uint8_t b : info->key_id) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", b);
    std::cout << hex;
  }
  std::cout << std::endl;
  return 0;
}

int Probe() {
  KeychainProbeResult probe = ProbeKeychain();
  if (!probe.status.ok()) return Err(probe.status);
  std::cout << "OK reachable=" << probe.service_reachable
            << " store=" << probe.store_works << std::endl;
  return 0;
}

}  // namespace
}  // namespace tokencache

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "open" && argc == 4) return tokencache::Open(argv[2], argv[3]);
  if (mode == "counter" && argc == 4) {
    return tokencache::Counter(argv[2], std::atoi(argv[3]));
  }
  if (mode == "keyid" && argc == 3) return tokencache::KeyId(argv[2]);
  if (mode == "probe" && argc == 2) return tokencache::Probe();
  std::cerr << "usage: keychain_helper open URI CANARY | counter URI N | "
               "keyid SPEC | probe\n";
  return 2;
}
