// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/secret.h"

#include <cstdlib>
#include <cstring>
#include <string.h>
#include <new>
#include <utility>

#if defined(_WIN32)
#include <windows.h>
#endif

namespace tokencache {

void SecureWipe(void* data, std::size_t size) {
  if (data == nullptr || size == 0) return;
#if defined(_WIN32)
  SecureZeroMemory(data, size);
#elif defined(__GLIBC__) || defined(__OpenBSD__) || defined(__FreeBSD__)
  // A library call the optimizer may not elide, and word-at-a-time fast:
  // this runs on every token copy the hot path hands out.
  explicit_bzero(data, size);
#else
  volatile unsigned char* p = static_cast<volatile unsigned char*>(data);
  while (size--) *p++ = 0;
  __asm__ __volatile__("" : : "r"(data) : "memory");
#endif
}

SecretBytes::SecretBytes(std::string_view bytes) { Assign(bytes); }

SecretBytes::SecretBytes(const SecretBytes& other) { Assign(other.view()); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) Assign(other.view());
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    SecureWipe(data_, capacity_);
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  SecureWipe(data_, capacity_);
  std::free(data_);
}

void SecretBytes::Reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  // Never realloc: it could leave a copy of the old bytes behind unwiped.
  char* fresh = static_cast<char*>(std::malloc(capacity));
  if (fresh == nullptr) throw std::bad_alloc();
  if (size_ > 0) std::memcpy(fresh, data_, size_);
  SecureWipe(data_, capacity_);
  std::free(data_);
  data_ = fresh;
  capacity_ = capacity;
}

void SecretBytes::Assign(std::string_view bytes) {
  if (bytes.data() >= data_ && bytes.data() < data_ + size_) {
    // Assigning a view of ourselves: move the bytes within the buffer.
    std::memmove(data_, bytes.data(), bytes.size());
    SecureWipe(data_ + bytes.size(), size_ - bytes.size());
    size_ = bytes.size();
    return;
  }
  SecureWipe(data_, size_);
  size_ = 0;
  Reserve(bytes.size());
  if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  size_ = bytes.size();
}

void SecretBytes::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::size_t needed = size_ + bytes.size();
  if (needed > capacity_) {
    std::size_t grown = capacity_ * 2;
    // `bytes` might point into our buffer; copy it before Reserve frees it.
    SecretBytes copy(bytes);
    Reserve(grown > needed ? grown : needed);
    std::memcpy(data_ + size_, copy.data(), copy.size());
  } else {
    std::memmove(data_ + size_, bytes.data(), bytes.size());
  }
  size_ = needed;
}

void SecretBytes::Clear() {
  SecureWipe(data_, size_);
  size_ = 0;
}

void SecretBytes::Resize(std::size_t size) {
  if (size < size_) {
    SecureWipe(data_ + size, size_ - size);
  } else if (size > size_) {
    Reserve(size);
    std::memset(data_ + size_, 0, size - size_);
  }
  size_ = size;
}

bool SecretBytes::Equals(std::string_view other) const {
  if (other.size() != size_) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    diff |= static_cast<unsigned char>(data_[i] ^ other[i]);
  }
  return diff == 0;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  return Equals(other.view());
}

}  // namespace tokencache
