// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The encrypting BlobStore decorator: versions pass through, tampering is
// rejected and never overwritten (K1), blobs are bound to their cache (K2),
// a wrong key writes nothing (K4), and nothing readable reaches the disk
// (S7, K8).

#include <sodium.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "backends/crypto/envelope.h"
#include "tests/crypto/test_stores.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/cipher.h"

namespace tokencache {
namespace {

using test::MemoryBlobStore;
using test::MemoryState;

const std::string kCanary = "CANARY-5d1e88a0-refresh-token-value";

std::shared_ptr<const Cipher> RandomKeyCipher() {
  REQUIRE(sodium_init() >= 0);
  SecretBytes key;
  key.Resize(32);
  randombytes_buf(key.mutable_data(), key.size());
  Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(key);
  REQUIRE_OK(cipher);
  return std::shared_ptr<const Cipher>(std::move(*cipher));
}

struct Harness {
  std::shared_ptr<MemoryState> state = std::make_shared<MemoryState>();
  std::unique_ptr<BlobStore> store;
  Harness(std::shared_ptr<const Cipher> cipher, std::string cache_id) {
    store = NewEncryptedBlobStore(std::make_unique<MemoryBlobStore>(state),
                                  std::move(cipher), std::move(cache_id));
  }
};

std::string Text4KiB() {
  std::string text = "{\"RefreshToken\":{\"secret\":\"" + kCanary + "\"},";
  while (text.size() < 4096) text += "\"pad\":\"0123456789abcdef\",";
  text.resize(4096);
  return text;
}

TEST_CASE(
    "The encrypted store reads back what it wrote, with the inner "
    "versions",
    "[crypto][store]") {
  Harness h(RandomKeyCipher(), "/tmp/cache.bin");
  Result<std::optional<Blob>> empty = h.store->Read();
  REQUIRE_OK(empty);
  CHECK_FALSE(empty->has_value());
  Result<BlobVersion> none = h.store->PeekVersion();
  REQUIRE_OK(none);
  CHECK(none->opaque.empty());

  Result<BlobVersion> v1 = h.store->Write(Text4KiB(), BlobVersion{});
  REQUIRE_OK(v1);
  CHECK(v1->opaque == "1");
  CHECK(h.state->bytes->find(kCanary) == std::string::npos);
  Result<std::optional<Blob>> read = h.store->Read();
  REQUIRE_OK(read);
  REQUIRE(read->has_value());
  CHECK((*read)->bytes.Equals(Text4KiB()));
  CHECK((*read)->version == *v1);
  Result<BlobVersion> peek = h.store->PeekVersion();
  REQUIRE_OK(peek);
  CHECK(*peek == *v1);

  // A stale expected version is a conflict and writes nothing.
  Result<BlobVersion> v2 = h.store->Write("second", *v1);
  REQUIRE_OK(v2);
  Result<BlobVersion> stale = h.store->Write("third", *v1);
  CHECK(stale.status().code() == Code::kConflict);
  CHECK(h.state->writes == 2);
}

// Runs `check` on every single-bit flip, every truncation and appends of 1 to
// 64 bytes of `sealed`, each planted in the inner store; returns counts.
struct SweepCounts {
  int cases = 0;
  int read_accepted = 0;
  int write_accepted = 0;
  int store_modified = 0;
  std::map<Code, int> codes;
};

SweepCounts Sweep(Harness& h, const std::string& sealed) {
  SweepCounts counts;
  auto attempt = [&](std::string variant) {
    ++counts.cases;
    h.state->bytes = variant;
    const std::uint64_t generation = h.state->generation;
    Result<std::optional<Blob>> read = h.store->Read();
    if (read.ok()) {
      ++counts.read_accepted;
    } else {
      ++counts.codes[read.status().code()];
    }
    if (h.store->Write("overwrite attempt", std::nullopt).ok()) {
      ++counts.write_accepted;
    }
    if (h.state->generation != generation || *h.state->bytes != variant) {
      ++counts.store_modified;
    }
  };
  for (std::size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string copy = sealed;
      copy[byte] = static_cast<char>(copy[byte] ^ (1 << bit));
      attempt(std::move(copy));
    }
  }
  for (std::size_t length = 0; length < sealed.size(); ++length) {
    attempt(sealed.substr(0, length));
  }
  for (std::size_t extra = 1; extra <= 64; ++extra) {
    attempt(sealed + std::string(extra, static_cast<char>(extra)));
  }
  return counts;
}

TEST_CASE(
    "K1: every bit flip, truncation and append of a 4 KiB encrypted "
    "cache is rejected and left in place",
    "[crypto][store][K1]") {
  Harness h(RandomKeyCipher(), "cache-k1");
  REQUIRE_OK(h.store->Write(Text4KiB(), std::nullopt));
  const std::string sealed = *h.state->bytes;
  const int writes_before = h.state->writes;

  SweepCounts counts = Sweep(h, sealed);
  const int flips = static_cast<int>(sealed.size()) * 8;
  CHECK(flips >= 32768);
  CHECK(counts.cases == flips + static_cast<int>(sealed.size()) + 64);
  CHECK(counts.read_accepted == 0);
  CHECK(counts.write_accepted == 0);
  CHECK(counts.store_modified == 0);
  CHECK(h.state->writes == writes_before);
  // Flips in the key id read as another key; everything else is corruption
  // or an unknown format, never a pass.
  CHECK(counts.codes[Code::kWrongKey] == 64);
  CHECK(counts.codes[Code::kCorrupted] + counts.codes[Code::kNotSupported] +
            counts.codes[Code::kWrongKey] ==
        counts.cases);
  test::ReportFigure(
      "{\"id\":\"K1\",\"params\":{\"blob_bytes\":" +
      std::to_string(sealed.size()) +
      ",\"cases\":" + std::to_string(counts.cases) +
      "},\"figures\":{\"accepted\":" + std::to_string(counts.read_accepted) +
      ",\"overwritten\":" + std::to_string(counts.store_modified) +
      "},\"bar\":\"0/0\",\"pass\":" +
      (counts.read_accepted == 0 && counts.store_modified == 0 ? "true"
                                                               : "false") +
      "}");

  // The original still opens: nothing was lost along the way.
  h.state->bytes = sealed;
  Result<std::optional<Blob>> read = h.store->Read();
  REQUIRE_OK(read);
  CHECK((*read)->bytes.Equals(Text4KiB()));
}

// A deliberately broken cipher (no authentication at all), for the negative
// control: the sweep must be able to fail.
class PlainCipher final : public Cipher {
 public:
  std::string_view Name() const override { return "plain"; }

 protected:
  Result<std::string> DoSeal(std::string_view plaintext,
                             std::string_view) const override {
    return std::string(plaintext);
  }
  Result<SecretBytes> DoOpen(std::string_view envelope,
                             std::string_view) const override {
    return SecretBytes(envelope);
  }
};

TEST_CASE(
    "K1 negative control: the sweep counts acceptances of an "
    "unauthenticated cipher",
    "[crypto][store][K1]") {
  Harness h(std::make_shared<PlainCipher>(), "cache-k1");
  REQUIRE_OK(h.store->Write(std::string(512, 'q'), std::nullopt));
  SweepCounts counts = Sweep(h, *h.state->bytes);
  CHECK(counts.read_accepted == counts.cases);
  CHECK(counts.store_modified > 0);
}

TEST_CASE("K2: a blob copied into another cache does not open there",
          "[crypto][store][K2]") {
  auto cipher = RandomKeyCipher();
  Harness a(cipher, "file:///home/u/a.bin");
  Harness b(cipher, "file:///home/u/b.bin");
  REQUIRE_OK(a.store->Write(kCanary, std::nullopt));
  REQUIRE_OK(b.store->Write("b's own data", std::nullopt));
  const std::string b_bytes = *b.state->bytes;
  b.state->bytes = a.state->bytes;  // attacker copies a's file over b's
  CHECK(b.store->Read().status().code() == Code::kCorrupted);
  b.state->bytes = b_bytes;
  Result<std::optional<Blob>> read = b.store->Read();
  REQUIRE_OK(read);
  CHECK((*read)->bytes.Equals("b's own data"));
}

TEST_CASE("K4: a wrong key reads kWrongKey and overwrites nothing",
          "[crypto][store][K4]") {
  auto state = std::make_shared<MemoryState>();
  auto writer = NewEncryptedBlobStore(std::make_unique<MemoryBlobStore>(state),
                                      RandomKeyCipher(), "cache");
  REQUIRE_OK(writer->Write(kCanary, std::nullopt));
  const std::string stored = *state->bytes;
  const std::uint64_t generation = state->generation;

  auto intruder = NewEncryptedBlobStore(
      std::make_unique<MemoryBlobStore>(state), RandomKeyCipher(), "cache");
  Result<std::optional<Blob>> read = intruder->Read();
  CHECK(read.status().code() == Code::kWrongKey);
  Result<BlobVersion> peek = intruder->PeekVersion();
  REQUIRE_OK(peek);
  // Neither an unconditional write nor one with the current version may
  // replace data sealed under another key.
  Result<BlobVersion> blind = intruder->Write("clobber", std::nullopt);
  CHECK(blind.status().code() == Code::kWrongKey);
  Result<BlobVersion> cas = intruder->Write("clobber", *peek);
  CHECK(cas.status().code() == Code::kWrongKey);
  CHECK(*state->bytes == stored);
  CHECK(state->generation == generation);

  // The rightful key still reads it.
  Result<std::optional<Blob>> mine = writer->Read();
  REQUIRE_OK(mine);
  CHECK((*mine)->bytes.Equals(kCanary));
}

TEST_CASE(
    "S7: no plaintext canary reaches the files an encrypted store "
    "writes",
    "[crypto][store][S7]") {
  test::TempDir dir;
  auto store = NewEncryptedBlobStore(
      std::make_unique<test::DiskBlobStore>(dir / "cache.bin"),
      RandomKeyCipher(), (dir / "cache.bin").string());
  for (int i = 0; i < 20; ++i) {
    REQUIRE_OK(store->Write(
        kCanary + " #" + std::to_string(i) + " " + Text4KiB(), std::nullopt));
  }
  REQUIRE_FALSE(test::FilesUnder(dir.path()).empty());
  int hits = 0;
  for (std::size_t i = 0; i + 12 <= kCanary.size(); ++i) {
    hits += test::FilesContaining(dir.path(), kCanary.substr(i, 12));
  }
  CHECK(hits == 0);

  // Control: the same scan finds the canary when the store is not
  // encrypted.
  test::TempDir plain_dir;
  test::DiskBlobStore plain(plain_dir / "cache.bin");
  REQUIRE_OK(plain.Write(kCanary, std::nullopt));
  CHECK(test::FilesContaining(plain_dir.path(), kCanary) == 1);
}

TEST_CASE(
    "K8: a passphrase-derived key and the passphrase never reach the "
    "disk",
    "[crypto][store][K8]") {
  test::TempDir dir;
  const std::string passphrase = "K8 passphrase 0c4f2a";
  Result<std::unique_ptr<Cipher>> cipher =
      NewPassphraseCipher(SecretBytes(passphrase));
  REQUIRE_OK(cipher);
  auto store = NewEncryptedBlobStore(
      std::make_unique<test::DiskBlobStore>(dir / "cache.bin"),
      std::shared_ptr<const Cipher>(std::move(*cipher)), "k8");
  REQUIRE_OK(store->Write(kCanary, std::nullopt));
  REQUIRE_OK(store->Write(Text4KiB(), std::nullopt));

  // Derive the key independently from the stored salt and parameters.
  const std::string stored = test::ReadAll(dir / "cache.bin");
  Result<internal::ParsedEnvelope> parsed = internal::ParseEnvelope(stored);
  REQUIRE_OK(parsed);
  const internal::EnvelopeHeader& header = parsed->header;
  REQUIRE(header.kdf == internal::kKdfArgon2id13);
  std::string key(32, '\0');
  REQUIRE(crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()),
                        key.size(), passphrase.data(), passphrase.size(),
                        header.salt.data(), header.opslimit,
                        static_cast<std::size_t>(header.memlimit),
                        crypto_pwhash_ALG_ARGON2ID13) == 0);
  // It is the real key: it opens the file (checked with libsodium directly,
  // since a raw-key cipher refuses passphrase envelopes by kind).
  std::string associated(parsed->header_bytes);
  associated += BlobContext("k8");
  std::string plain(parsed->sealed.size() - 16, '\0');
  REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(
              reinterpret_cast<unsigned char*>(plain.data()), nullptr, nullptr,
              reinterpret_cast<const unsigned char*>(parsed->sealed.data()),
              parsed->sealed.size(),
              reinterpret_cast<const unsigned char*>(associated.data()),
              associated.size(), header.nonce.data(),
              reinterpret_cast<const unsigned char*>(key.data())) == 0);
  CHECK(plain == Text4KiB());

  CHECK(test::FilesContaining(dir.path(), key) == 0);
  CHECK(test::FilesContaining(dir.path(), key.substr(0, 16)) == 0);
  CHECK(test::FilesContaining(dir.path(), passphrase) == 0);
  SecureWipe(key.data(), key.size());
  SecureWipe(plain.data(), plain.size());
}

}  // namespace
}  // namespace tokencache
