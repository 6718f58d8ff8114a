// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target Z1(3): the encrypted envelope and its header.
//
// Oracles, for every input:
//   1. The header parser never crashes; when it accepts, re-encoding the
//      parsed header gives back exactly the bytes it consumed, and
//      InspectEnvelope agrees with it.
//   2. Opening the input with a fixed raw key never crashes and never
//      succeeds unless the input was sealed under that key and context
//      (the fuzzer cannot forge a tag: any success is a bug).
//   3. Sealing the input as plaintext and opening it again gives it back,
//      and every single-bit flip of a few positions of that envelope is
//      rejected.
// Passphrase envelopes are parsed (floor and ceiling checks included) but
// not opened: each open would cost an Argon2id derivation.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "backends/crypto/envelope.h"
#include "tokencache/cipher.h"

namespace {

const tokencache::Cipher& FixedCipher() {
  static const tokencache::Cipher* cipher = [] {
    tokencache::SecretBytes key(std::string(32, '\x42'));
    auto made = tokencache::NewKeyCipher(key);
    if (!made.ok()) std::abort();
    return made->release();
  }();
  return *cipher;
}

void CheckParser(std::string_view input) {
  auto parsed = tokencache::internal::ParseEnvelope(input);
  auto info = tokencache::InspectEnvelope(input);
  if (parsed.ok() != info.ok()) std::abort();
  if (!parsed.ok()) return;
  std::string encoded;
  tokencache::internal::EncodeHeader(parsed->header, encoded);
  if (encoded != parsed->header_bytes) std::abort();
  if (info->plaintext_size + tokencache::internal::kTagSize !=
      parsed->sealed.size()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckParser(input);

  const tokencache::Cipher& cipher = FixedCipher();
  const std::string context = tokencache::BlobContext("fuzz");
  // Random bytes cannot carry a valid tag for our key and context.
  if (cipher.Open(input, context).ok()) std::abort();

  auto sealed = cipher.Seal(input, context);
  if (!sealed.ok()) std::abort();
  CheckParser(*sealed);
  auto opened = cipher.Open(*sealed, context);
  if (!opened.ok() || opened->view() != input) std::abort();
  if (cipher.Open(*sealed, tokencache::BlobContext("fuzz2")).ok()) {
    std::abort();
  }
  for (std::size_t i = 0; i < 4 && size > 0; ++i) {
    std::string copy = *sealed;
    const std::size_t at = (data[i % size] * 131u + i * 977u) % copy.size();
    copy[at] = static_cast<char>(copy[at] ^ (1 << (i % 8)));
    if (cipher.Open(copy, context).ok()) std::abort();
  }
  return 0;
}
