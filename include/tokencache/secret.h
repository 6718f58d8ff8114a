// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// SecretBytes holds token text and key material. It cannot be streamed or
// converted to std::string implicitly, and it overwrites its buffer with
// zeros when it is destroyed, reassigned or cleared. Read it through view()
// at the point of use and do not copy what you read into plain strings that
// outlive the call.
//
// Not thread-safe for concurrent mutation; const methods may be called from
// several threads at once.
//
// Allocation failure: like std::string, the methods that allocate (the
// copying constructors and assignment, Assign, Append, Resize) throw
// std::bad_alloc when memory runs out. It is the one exception the library
// does not turn into a Status everywhere: Cache, BlobStore, RecordStore,
// Serializer, KeySource and TokenEndpoint entry points return kInternal
// for it, other calls may let it escape as any C++ allocation does.

#ifndef TOKENCACHE_SECRET_H_
#define TOKENCACHE_SECRET_H_

#include <cstddef>
#include <string_view>

#include "tokencache/export.h"

namespace tokencache {

// Overwrites `size` bytes at `data` with zeros in a way the compiler may not
// remove.
TOKENCACHE_EXPORT void SecureWipe(void* data, std::size_t size);

class TOKENCACHE_EXPORT SecretBytes {
 public:
  SecretBytes() = default;
  // Copies `bytes`. The caller remains responsible for wiping its own copy.
  explicit SecretBytes(std::string_view bytes);
  SecretBytes(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  // Replaces the contents with a copy of `bytes`, wiping the old ones.
  void Assign(std::string_view bytes);
  // Appends `bytes`.
  void Append(std::string_view bytes);
  // Wipes and empties.
  void Clear();
  // Resizes to `size` bytes (new bytes are zero); wipes what is dropped.
  void Resize(std::size_t size);

  std::string_view view() const { return std::string_view(data_, size_); }
  const char* data() const { return data_; }
  char* mutable_data() { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant-time comparison of contents (length leaks, contents do not).
  bool Equals(const SecretBytes& other) const;
  bool Equals(std::string_view other) const;

 private:
  void Reserve(std::size_t capacity);

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tokencache

#endif  // TOKENCACHE_SECRET_H_
