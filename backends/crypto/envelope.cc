// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/crypto/envelope.h"

#include <sodium.h>

#include <string>

namespace tokencache {
namespace internal {
namespace {

static_assert(kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "");
static_assert(kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "");
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES, "");
static_assert(kSaltSize == crypto_pwhash_SALTBYTES, "");
static_assert(kMinOpslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE, "");
static_assert(kMinMemlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE, "");
static_assert(kMaxMemlimit == crypto_pwhash_MEMLIMIT_SENSITIVE, "");

void PutU64(std::uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::uint64_t GetU64(const unsigned char* p) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | p[i];
  return value;
}

template <std::size_t N>
void Put(const std::array<std::uint8_t, N>& bytes, std::string& out) {
  out.append(reinterpret_cast<const char*>(bytes.data()), N);
}

template <std::size_t N>
void Get(const unsigned char* p, std::array<std::uint8_t, N>& bytes) {
  for (std::size_t i = 0; i < N; ++i) bytes[i] = p[i];
}

}  // namespace

std::size_t HeaderSize(std::uint8_t kdf) {
  return kPrefixSize + (kdf == kKdfArgon2id13 ? kKdfBlockSize : 0) + kNonceSize;
}

void EncodeHeader(const EnvelopeHeader& header, std::string& out) {
  out.append(kEnvelopeMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(kAlgXChaCha20Poly1305));
  out.push_back(static_cast<char>(header.kdf));
  out.push_back('\0');  // flags: none defined in version 1
  Put(header.key_id, out);
  if (header.kdf == kKdfArgon2id13) {
    PutU64(header.opslimit, out);
    PutU64(header.memlimit, out);
    Put(header.salt, out);
  }
  Put(header.nonce, out);
}

Status CheckKdfParams(std::uint64_t opslimit, std::uint64_t memlimit) {
  if (opslimit < kMinOpslimit || memlimit < kMinMemlimit) {
    return CorruptedError(
        "envelope KDF parameters are below the accepted floor "
        "(Argon2id INTERACTIVE); refusing a downgraded header");
  }
  if (opslimit > kMaxOpslimit || memlimit > kMaxMemlimit) {
    return Status(Code::kNotSupported,
                  "envelope KDF parameters exceed what this build will "
                  "spend (opslimit 32, memlimit 1 GiB)");
  }
  return Status();
}

Result<ParsedEnvelope> ParseEnvelope(std::string_view envelope) {
  const auto* p = reinterpret_cast<const unsigned char*>(envelope.data());
  if (envelope.size() < kPrefixSize) {
    return CorruptedError("envelope truncated: shorter than its header");
  }
  if (envelope.substr(0, kEnvelopeMagic.size()) != kEnvelopeMagic) {
    return CorruptedError("not a tokencache envelope (bad magic)");
  }
  if (p[4] != kFormatVersion) {
    return Status(Code::kNotSupported,
                  "unknown envelope format version " + std::to_string(p[4]));
  }
  if (p[5] != kAlgXChaCha20Poly1305) {
    return Status(Code::kNotSupported,
                  "unknown envelope algorithm id " + std::to_string(p[5]));
  }
  ParsedEnvelope parsed;
  EnvelopeHeader& header = parsed.header;
  header.kdf = p[6];
  if (header.kdf != kKdfNone && header.kdf != kKdfArgon2id13) {
    return Status(Code::kNotSupported,
                  "unknown envelope KDF id " + std::to_string(header.kdf));
  }
  if (p[7] != 0) {
    return Status(Code::kNotSupported, "unknown envelope flags");
  }
  Get(p + 8, header.key_id);
  const std::size_t header_size = HeaderSize(header.kdf);
  if (envelope.size() < header_size + kTagSize) {
    return CorruptedError("envelope truncated: shorter than header and tag");
  }
  std::size_t offset = kPrefixSize;
  if (header.kdf == kKdfArgon2id13) {
    header.opslimit = GetU64(p + offset);
    header.memlimit = GetU64(p + offset + 8);
    Get(p + offset + 16, header.salt);
    offset += kKdfBlockSize;
    Status params = CheckKdfParams(header.opslimit, header.memlimit);
    if (!params.ok()) return params;
  }
  Get(p + offset, header.nonce);
  parsed.header_bytes = envelope.substr(0, header_size);
  parsed.sealed = envelope.substr(header_size);
  return parsed;
}

}  // namespace internal
}  // namespace tokencache
