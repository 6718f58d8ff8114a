// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Two ways to see every allocation. Under AddressSanitizer, its malloc hook
// (called for malloc and operator new alike); replacing operator new there
// mixes ASan's allocator with ours and is reported as a mismatch. Otherwise,
// a replacement operator new. This file is on its own so that no caller sees
// operator new and malloc/free together (GCC's -Wmismatched-new-delete would
// flag the inlined pair).

#include "tests/serializers_binary/allocation_tracker.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define TOKENCACHE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOKENCACHE_TEST_ASAN 1
#endif
#endif

#if defined(TOKENCACHE_TEST_ASAN)
// From <sanitizer/allocator_interface.h>, which clang ships and GCC does not;
// both runtimes export the function.
extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void*, std::size_t),
    void (*free_hook)(const volatile void*));
#endif

namespace {

std::atomic<bool> g_tracking{false};
std::atomic<std::size_t> g_largest{0};

void Record(std::size_t size) {
  if (!g_tracking.load(std::memory_order_relaxed)) return;
  std::size_t prev = g_largest.load(std::memory_order_relaxed);
  while (size > prev && !g_largest.compare_exchange_weak(prev, size)) {
  }
}

#if defined(TOKENCACHE_TEST_ASAN)
void OnMalloc(const volatile void*, std::size_t size) { Record(size); }
void OnFree(const volatile void*) {}
#endif

}  // namespace

namespace tokencache {
namespace test {

void StartTrackingAllocations() {
#if defined(TOKENCACHE_TEST_ASAN)
  static const bool installed =
      __sanitizer_install_malloc_and_free_hooks(&OnMalloc, &OnFree) != 0;
  (void)installed;
#endif
  g_largest = 0;
  g_tracking = true;
}

std::size_t StopTrackingAllocations() {
  g_tracking = false;
  return g_largest;
}

}  // namespace test
}  // namespace tokencache

#if !defined(TOKENCACHE_TEST_ASAN)
void* operator new(std::size_t size) {
  Record(size);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
