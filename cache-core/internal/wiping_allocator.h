// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// WipingAllocator: a rapidjson allocator (its Allocator concept) that wipes
// every block before it goes back to the heap, including the old block
// when a buffer grows. rapidjson's default CrtAllocator frees and reallocs
// blocks as they are, so JSON text that passed through a growing buffer
// (an unknown field of a cache file, the claims of an ID token) stayed in
// freed memory.
//
// Each block carries its size in a header, because rapidjson's Free() is
// told only the pointer. Stateless: every instance is interchangeable.

#ifndef TOKENCACHE_CACHE_CORE_INTERNAL_WIPING_ALLOCATOR_H_
#define TOKENCACHE_CACHE_CORE_INTERNAL_WIPING_ALLOCATOR_H_

#include <rapidjson/allocators.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "tokencache/secret.h"

namespace tokencache {
namespace internal {

class WipingAllocator {
 public:
  static const bool kNeedFree = true;

  void* Malloc(std::size_t size) {
    if (size == 0) return nullptr;
    char* block = static_cast<char*>(std::malloc(kHeader + size));
    if (block == nullptr) return nullptr;
    std::memcpy(block, &size, sizeof(size));
    return block + kHeader;
  }

  void* Realloc(void* original, std::size_t original_size,
                std::size_t new_size) {
    (void)original_size;  // The header knows, even if the caller does not.
    if (original == nullptr) return Malloc(new_size);
    if (new_size == 0) {
      Free(original);
      return nullptr;
    }
    void* fresh = Malloc(new_size);
    if (fresh == nullptr) return nullptr;  // `original` stays valid.
    std::memcpy(fresh, original, std::min(SizeOf(original), new_size));
    Free(original);
    return fresh;
  }

  static void Free(void* ptr) {
    if (ptr == nullptr) return;
    SecureWipe(ptr, SizeOf(ptr));
    std::free(static_cast<char*>(ptr) - kHeader);
  }

  bool operator==(const WipingAllocator&) const { return true; }
  bool operator!=(const WipingAllocator&) const { return false; }

 private:
  // Keeps the block as aligned as malloc's.
  static constexpr std::size_t kHeader = alignof(std::max_align_t);

  static std::size_t SizeOf(const void* ptr) {
    std::size_t size = 0;
    std::memcpy(&size, static_cast<const char*>(ptr) - kHeader, sizeof(size));
    return size;
  }
};

// A DOM whose node pool and parse stack are wiped when freed.
using WipedDocument =
    rapidjson::GenericDocument<rapidjson::UTF8<>,
                               rapidjson::MemoryPoolAllocator<WipingAllocator>,
                               WipingAllocator>;

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_CORE_INTERNAL_WIPING_ALLOCATOR_H_
