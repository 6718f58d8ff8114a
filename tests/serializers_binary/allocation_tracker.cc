// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// In a file of its own so that no caller sees operator new and malloc/free
// together (GCC's -Wmismatched-new-delete would flag the inlined pair).

#include "tests/serializers_binary/allocation_tracker.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> g_tracking{false};
std::atomic<std::size_t> g_largest{0};

}  // namespace

namespace tokencache {
namespace test {

void StartTrackingAllocations() {
  g_largest = 0;
  g_tracking = true;
}

std::size_t StopTrackingAllocations() {
  g_tracking = false;
  return g_largest;
}

}  // namespace test
}  // namespace tokencache

void* operator new(std::size_t size) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    std::size_t prev = g_largest.load(std::memory_order_relaxed);
    while (size > prev && !g_largest.compare_exchange_weak(prev, size)) {
    }
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
