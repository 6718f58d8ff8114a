// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The envelope and the built-in Ciphers: round trips, context binding (K2),
// wrong keys (K4), header downgrades (K5), nonce uniqueness (K7) and the
// rule that no secret appears in an error message (S6).

#include "tokencache/cipher.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "backends/crypto/envelope.h"
#include "tests/crypto/test_stores.h"
#include "tests/support/status_matchers.h"

namespace tokencache {
namespace {

SecretBytes RandomKey() {
  REQUIRE(sodium_init() >= 0);
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  SecretBytes secret(key);
  SecureWipe(key.data(), key.size());
  return secret;
}

std::unique_ptr<Cipher> KeyCipher(const SecretBytes& key) {
  Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(key);
  REQUIRE_OK(cipher);
  return std::move(*cipher);
}

std::unique_ptr<Cipher> PassCipher(std::string_view passphrase) {
  Result<std::unique_ptr<Cipher>> cipher =
      NewPassphraseCipher(SecretBytes(passphrase));
  REQUIRE_OK(cipher);
  return std::move(*cipher);
}

const std::string kCanary = "CANARY-at-7f3e9b1c-refresh-token-secret";

TEST_CASE("A key cipher opens what it sealed and nothing else leaks",
          "[crypto][cipher]") {
  auto cipher = KeyCipher(RandomKey());
  const std::string context = BlobContext("/home/u/.cache/tokens.bin");
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 4096u, 100000u}) {
    std::string plaintext(size, 'x');
    for (std::size_t i = 0; i < size; ++i) {
      plaintext[i] = static_cast<char>('a' + i % 26);
    }
    Result<std::string> sealed = cipher->Seal(plaintext, context);
    REQUIRE_OK(sealed);
    CHECK(sealed->size() == plaintext.size() + 16 + 24 + 16);
    if (size >= 16)
      CHECK(sealed->find(plaintext.substr(0, 16)) == std::string::npos);
    Result<SecretBytes> opened = cipher->Open(*sealed, context);
    REQUIRE_OK(opened);
    CHECK(opened->Equals(plaintext));
  }
}

TEST_CASE("A passphrase cipher round-trips and stores its KDF parameters",
          "[crypto][cipher][kdf]") {
  auto cipher = PassCipher("correct horse battery staple");
  const std::string context = BlobContext("cache-a");
  Result<std::string> sealed = cipher->Seal(kCanary, context);
  REQUIRE_OK(sealed);
  Result<EnvelopeInfo> info = InspectEnvelope(*sealed);
  REQUIRE_OK(info);
  CHECK(info->kdf == "argon2id13");
  CHECK(info->opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
  CHECK(info->memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
  CHECK(info->plaintext_size == kCanary.size());

  // A second cipher with the same passphrase derives the same key from the
  // stored salt and parameters, and re-sealing keeps that salt (one
  // derivation, stable key id).
  auto other = PassCipher("correct horse battery staple");
  Result<SecretBytes> opened = other->Open(*sealed, context);
  REQUIRE_OK(opened);
  CHECK(opened->Equals(kCanary));
  Result<std::string> resealed = other->Seal("next", context);
  REQUIRE_OK(resealed);
  Result<internal::ParsedEnvelope> a = internal::ParseEnvelope(*sealed);
  Result<internal::ParsedEnvelope> b = internal::ParseEnvelope(*resealed);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  CHECK(a->header.salt == b->header.salt);
  CHECK(a->header.key_id == b->header.key_id);
  CHECK(a->header.nonce != b->header.nonce);
}

TEST_CASE(
    "Passphrase options below the floor or above the ceiling are "
    "refused",
    "[crypto][cipher][kdf]") {
  PassphraseOptions low;
  low.opslimit = 1;
  CHECK(NewPassphraseCipher(SecretBytes("pw"), low).status().code() ==
        Code::kInvalidArgument);
  PassphraseOptions small;
  small.memlimit = 8u << 20;
  CHECK(NewPassphraseCipher(SecretBytes("pw"), small).status().code() ==
        Code::kInvalidArgument);
  PassphraseOptions huge;
  huge.memlimit = 4ull << 30;
  CHECK(NewPassphraseCipher(SecretBytes("pw"), huge).status().code() ==
        Code::kInvalidArgument);
  CHECK(NewPassphraseCipher(SecretBytes()).status().code() ==
        Code::kInvalidArgument);
  CHECK(NewKeyCipher(SecretBytes("short")).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("K2: a sealed value does not open under another cache or record",
          "[crypto][cipher][K2]") {
  auto cipher = KeyCipher(RandomKey());
  Result<std::string> blob = cipher->Seal(kCanary, BlobContext("cache-a"));
  Result<std::string> rec1 =
      cipher->Seal(kCanary, RecordContext("cache-a", "account-1/at/x"));
  Result<std::string> rec2 =
      cipher->Seal("other", RecordContext("cache-a", "account-2/at/x"));
  REQUIRE_OK(blob);
  REQUIRE_OK(rec1);
  REQUIRE_OK(rec2);

  struct Case {
    const std::string* envelope;
    std::string context;
  };
  const std::vector<Case> moved = {
      {&*blob, BlobContext("cache-b")},
      {&*blob, BlobContext("cache-a ")},
      {&*blob, RecordContext("cache-a", "")},
      {&*rec1, RecordContext("cache-a", "account-2/at/x")},  // swap
      {&*rec2, RecordContext("cache-a", "account-1/at/x")},  // swap
      {&*rec1, RecordContext("cache-b", "account-1/at/x")},
      {&*rec1, BlobContext("cache-a")},
      // Length prefixes keep field boundaries: no splice across fields.
      {&*rec1, RecordContext("cache-aaccount-1", "/at/x")},
  };
  int rejected = 0;
  for (const Case& c : moved) {
    Result<SecretBytes> opened = cipher->Open(*c.envelope, c.context);
    CHECK(opened.status().code() == Code::kCorrupted);
    if (!opened.ok()) ++rejected;
  }
  CHECK(rejected == static_cast<int>(moved.size()));
  CHECK(BlobContext("ab") != RecordContext("a", "b"));
  CHECK(RecordContext("ab", "c") != RecordContext("a", "bc"));
}

TEST_CASE("K4: a different key or passphrase is reported as kWrongKey",
          "[crypto][cipher][K4]") {
  auto mine = KeyCipher(RandomKey());
  auto theirs = KeyCipher(RandomKey());
  const std::string context = BlobContext("c");
  Result<std::string> sealed = theirs->Seal(kCanary, context);
  REQUIRE_OK(sealed);
  CHECK(mine->Open(*sealed, context).status().code() == Code::kWrongKey);

  auto pass_a = PassCipher("passphrase A");
  auto pass_b = PassCipher("passphrase B");
  Result<std::string> pass_sealed = pass_a->Seal(kCanary, context);
  REQUIRE_OK(pass_sealed);
  CHECK(pass_b->Open(*pass_sealed, context).status().code() == Code::kWrongKey);
  // Kinds do not mix: a raw key never opens a passphrase envelope and back.
  CHECK(mine->Open(*pass_sealed, context).status().code() == Code::kWrongKey);
  CHECK(pass_a->Open(*sealed, context).status().code() == Code::kWrongKey);
  // Same key, tampered tag: kCorrupted, not kWrongKey.
  std::string tampered = *sealed;
  tampered.back() ^= 1;
  CHECK(theirs->Open(tampered, context).status().code() == Code::kCorrupted);
}

// Rewrites header fields of a passphrase envelope.
std::string WithU64At(std::string envelope, std::size_t offset,
                      std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    envelope[offset + static_cast<std::size_t>(i)] =
        static_cast<char>((value >> (56 - 8 * i)) & 0xff);
  }
  return envelope;
}

TEST_CASE("K5: edited versions, algorithms and KDF parameters are refused",
          "[crypto][cipher][K5]") {
  auto key_cipher = KeyCipher(RandomKey());
  auto pass_cipher = PassCipher("pw for K5");
  const std::string context = BlobContext("c");
  Result<std::string> raw = key_cipher->Seal(kCanary, context);
  Result<std::string> pass = pass_cipher->Seal(kCanary, context);
  REQUIRE_OK(raw);
  REQUIRE_OK(pass);

  auto edit = [](std::string envelope, std::size_t at, char value) {
    envelope[at] = value;
    return envelope;
  };
  // Version, algorithm, KDF id, flags.
  CHECK(key_cipher->Open(edit(*raw, 4, 2), context).status().code() ==
        Code::kNotSupported);
  CHECK(key_cipher->Open(edit(*raw, 4, 0), context).status().code() ==
        Code::kNotSupported);
  CHECK(key_cipher->Open(edit(*raw, 5, 2), context).status().code() ==
        Code::kNotSupported);
  CHECK(key_cipher->Open(edit(*raw, 6, 7), context).status().code() ==
        Code::kNotSupported);
  CHECK(key_cipher->Open(edit(*raw, 7, 1), context).status().code() ==
        Code::kNotSupported);
  CHECK(key_cipher->Open(edit(*raw, 0, 'X'), context).status().code() ==
        Code::kCorrupted);

  // KDF parameters below the floor: refused before any derivation.
  const std::size_t ops_at = 16, mem_at = 24;
  const std::uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const std::uint64_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  for (const std::string& downgraded :
       {WithU64At(*pass, ops_at, ops - 1), WithU64At(*pass, ops_at, 0),
        WithU64At(*pass, mem_at, mem - 1024), WithU64At(*pass, mem_at, 8192),
        WithU64At(WithU64At(*pass, ops_at, 1), mem_at, 8192)}) {
    Result<SecretBytes> opened = pass_cipher->Open(downgraded, context);
    CHECK(opened.status().code() == Code::kCorrupted);
    CHECK(opened.status().message().find("floor") != std::string::npos);
  }
  // Above the ceiling: refused, not allocated.
  CHECK(pass_cipher->Open(WithU64At(*pass, mem_at, 64ull << 30), context)
            .status()
            .code() == Code::kNotSupported);
  CHECK(pass_cipher->Open(WithU64At(*pass, ops_at, 1000), context)
            .status()
            .code() == Code::kNotSupported);
  // Raising a parameter within range changes the derived key: the key id no
  // longer matches.
  CHECK(pass_cipher->Open(WithU64At(*pass, ops_at, ops + 1), context)
            .status()
            .code() == Code::kWrongKey);
  // The untouched envelope still opens.
  CHECK_OK(pass_cipher->Open(*pass, context));
}

TEST_CASE(
    "K1: every bit flip, truncation and append of a passphrase "
    "envelope outside the KDF block is rejected",
    "[crypto][cipher][K1]") {
  // The salt and cost fields are covered by K5; flipping them one by one
  // would spend an Argon2id derivation each.
  auto cipher = PassCipher("pw for K1");
  const std::string context = BlobContext("c");
  std::string plaintext(1024, 'p');
  Result<std::string> sealed = cipher->Seal(plaintext, context);
  REQUIRE_OK(sealed);
  int accepted = 0, cases = 0;
  for (std::size_t byte = 0; byte < sealed->size(); ++byte) {
    if (byte >= 16 && byte < 48) continue;  // KDF block
    for (int bit = 0; bit < 8; ++bit) {
      std::string copy = *sealed;
      copy[byte] = static_cast<char>(copy[byte] ^ (1 << bit));
      ++cases;
      if (cipher->Open(copy, context).ok()) ++accepted;
    }
  }
  for (std::size_t length = 0; length < sealed->size(); ++length) {
    ++cases;
    if (cipher->Open(sealed->substr(0, length), context).ok()) ++accepted;
  }
  CHECK(cases > 8 * 1000);
  CHECK(accepted == 0);
}

TEST_CASE("K7: a million seals never repeat a nonce", "[crypto][cipher][K7]") {
  auto cipher = KeyCipher(RandomKey());
  const std::string context = BlobContext("c");
  constexpr int kSeals = 1000000;
  std::vector<std::array<std::uint8_t, 24>> nonces(kSeals);
  for (int i = 0; i < kSeals; ++i) {
    Result<std::string> sealed = cipher->Seal("x", context);
    if (!sealed.ok()) FAIL(sealed.status().ToString());
    std::copy(sealed->begin() + 16, sealed->begin() + 40,
              nonces[static_cast<std::size_t>(i)].begin());
  }
  std::sort(nonces.begin(), nonces.end());
  const auto duplicates = static_cast<int>(
      nonces.size() -
      static_cast<std::size_t>(std::unique(nonces.begin(), nonces.end()) -
                               nonces.begin()));
  test::ReportFigure(
      "{\"id\":\"K7\",\"params\":{\"seals\":" + std::to_string(kSeals) +
      "},\"figures\":{\"duplicate_nonces\":" + std::to_string(duplicates) +
      "},\"bar\":0,\"pass\":" + (duplicates == 0 ? "true" : "false") + "}");
  CHECK(duplicates == 0);
}

TEST_CASE("Error messages never quote keys, passphrases or plaintext",
          "[crypto][cipher][S6]") {
  const std::string passphrase = "pw-" + kCanary;
  auto cipher = PassCipher(passphrase);
  auto other = PassCipher("another passphrase");
  const std::string context = BlobContext("c");
  Result<std::string> sealed = cipher->Seal(kCanary, context);
  REQUIRE_OK(sealed);
  std::vector<Status> errors;
  errors.push_back(other->Open(*sealed, context).status());
  std::string tampered = *sealed;
  tampered[60] ^= 4;
  errors.push_back(cipher->Open(tampered, context).status());
  errors.push_back(cipher->Open(sealed->substr(0, 50), context).status());
  errors.push_back(cipher->Open(kCanary, context).status());
  errors.push_back(
      NewPassphraseCipher(SecretBytes(kCanary), PassphraseOptions{1, 1})
          .status());
  errors.push_back(NewKeyCipher(SecretBytes(kCanary)).status());
  for (const Status& error : errors) {
    REQUIRE_FALSE(error.ok());
    const std::string text = error.ToString();
    // Any 12-character window of the canary counts as a leak.
    for (std::size_t i = 0; i + 12 <= kCanary.size(); ++i) {
      CHECK(text.find(kCanary.substr(i, 12)) == std::string::npos);
    }
  }
}

TEST_CASE("InspectEnvelope reads the header without a key",
          "[crypto][cipher]") {
  const SecretBytes key = RandomKey();
  auto cipher = KeyCipher(key);
  Result<std::string> sealed = cipher->Seal("hello", BlobContext("c"));
  REQUIRE_OK(sealed);
  Result<EnvelopeInfo> info = InspectEnvelope(*sealed);
  REQUIRE_OK(info);
  CHECK(info->format_version == 1);
  CHECK(info->algorithm == "xchacha20poly1305-ietf");
  CHECK(info->kdf == "none");
  CHECK(info->plaintext_size == 5);
  // The key id is the documented keyed BLAKE2b of the label.
  unsigned char digest[16];
  const std::string label = "tokencache key id v1";
  crypto_generichash(
      digest, sizeof digest,
      reinterpret_cast<const unsigned char*>(label.data()), label.size(),
      reinterpret_cast<const unsigned char*>(key.data()), key.size());
  CHECK(std::equal(info->key_id.begin(), info->key_id.end(), digest));
  CHECK(InspectEnvelope("TCEV").status().code() == Code::kCorrupted);
  CHECK(InspectEnvelope("{\"AccessToken\":{}}").status().code() ==
        Code::kCorrupted);
}

TEST_CASE("One cipher seals and opens from several threads at once",
          "[crypto][cipher][threads]") {
  // Two passphrase ciphers so that threads race on first derivation, on the
  // seal-key choice and on opening the other's envelopes.
  auto a = PassCipher("shared passphrase");
  auto b = PassCipher("shared passphrase");
  const std::string context = RecordContext("c", "k");
  constexpr int kThreads = 4;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Cipher& mine = t % 2 == 0 ? *a : *b;
      const Cipher& theirs = t % 2 == 0 ? *b : *a;
      for (int i = 0; i < 200; ++i) {
        const std::string text =
            "t" + std::to_string(t) + "#" + std::to_string(i);
        Result<std::string> sealed = mine.Seal(text, context);
        if (!sealed.ok()) {
          ++failures[static_cast<std::size_t>(t)];
          continue;
        }
        Result<SecretBytes> opened = theirs.Open(*sealed, context);
        if (!opened.ok() || !opened->Equals(text)) {
          ++failures[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : failures) CHECK(count == 0);
}

}  // namespace
}  // namespace tokencache
