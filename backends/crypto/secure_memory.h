// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Private: libsodium start-up and guarded buffers for key material.

#ifndef TOKENCACHE_BACKENDS_CRYPTO_SECURE_MEMORY_H_
#define TOKENCACHE_BACKENDS_CRYPTO_SECURE_MEMORY_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// Runs sodium_init() once per process (thread-safe: a function-local static).
// Returns kInternal when libsodium cannot start (no entropy source).
Status EnsureSodium();

// A fixed-size buffer from sodium_malloc(): guard pages on both sides, a
// canary, mlock() where RLIMIT_MEMLOCK allows and MADV_DONTDUMP. sodium_free()
// wipes it on destruction. Only key material and passphrases go here: the
// lockable memory limit is small (8 MiB on the CI machines) and every buffer
// costs at least three pages of address space.
//
// Not thread-safe for mutation; after MakeReadOnly() concurrent reads are
// fine.
class SecureBuffer {
 public:
  // Returns a zeroed buffer of `size` bytes (size > 0), or kResourceExhausted.
  static Result<std::unique_ptr<SecureBuffer>> Allocate(std::size_t size);
  // Allocates and copies `bytes` in, then makes the buffer read-only.
  static Result<std::unique_ptr<SecureBuffer>> CopyOf(std::string_view bytes);

  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  ~SecureBuffer();

  // Write access; only before MakeReadOnly().
  unsigned char* mutable_data() { return data_; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  // Turns the pages read-only (sodium_mprotect_readonly), so a stray write
  // faults instead of corrupting the key.
  void MakeReadOnly();

 private:
  SecureBuffer(unsigned char* data, std::size_t size)
      : data_(data), size_(size) {}

  unsigned char* data_;
  std::size_t size_;
};

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_CRYPTO_SECURE_MEMORY_H_
