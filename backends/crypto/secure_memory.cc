// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/crypto/secure_memory.h"

#include <sodium.h>

#include <cstring>

namespace tokencache {
namespace internal {

Status EnsureSodium() {
  // sodium_init() is idempotent and internally locked, but calling it once
  // through a magic static keeps the hot path to a load and a compare.
  static const int kInitResult = sodium_init();
  if (kInitResult < 0) {
    return Status(Code::kInternal, "libsodium failed to initialize");
  }
  return Status();
}

Result<std::unique_ptr<SecureBuffer>> SecureBuffer::Allocate(std::size_t size) {
  Status init = EnsureSodium();
  if (!init.ok()) return init;
  if (size == 0) return InternalError("empty secure buffer requested");
  void* memory = sodium_malloc(size);
  if (memory == nullptr) {
    return Status(Code::kResourceExhausted,
                  "cannot allocate guarded memory for key material");
  }
  sodium_memzero(memory, size);
  return std::unique_ptr<SecureBuffer>(
      new SecureBuffer(static_cast<unsigned char*>(memory), size));
}

Result<std::unique_ptr<SecureBuffer>> SecureBuffer::CopyOf(
    std::string_view bytes) {
  Result<std::unique_ptr<SecureBuffer>> buffer = Allocate(bytes.size());
  if (!buffer.ok()) return buffer.status();
  std::memcpy((*buffer)->mutable_data(), bytes.data(), bytes.size());
  (*buffer)->MakeReadOnly();
  return buffer;
}

void SecureBuffer::MakeReadOnly() {
  // Failure only means the pages stay writable; the key is still guarded.
  (void)sodium_mprotect_readonly(data_);
}

SecureBuffer::~SecureBuffer() {
  // sodium_free() makes the region writable, checks the canary, wipes with
  // sodium_memzero, munlocks and unmaps.
  sodium_free(data_);
}

}  // namespace internal
}  // namespace tokencache
