// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Measures the largest single allocation made through operator new between
// StartTrackingAllocations() and StopTrackingAllocations(). Linking
// allocation_tracker.cc replaces the global operator new of the whole test
// executable (it still allocates with malloc, so sanitizers keep working).

#ifndef TOKENCACHE_TESTS_SERIALIZERS_BINARY_ALLOCATION_TRACKER_H_
#define TOKENCACHE_TESTS_SERIALIZERS_BINARY_ALLOCATION_TRACKER_H_

#include <cstddef>

namespace tokencache {
namespace test {

void StartTrackingAllocations();
// Returns the largest size requested since the matching start.
std::size_t StopTrackingAllocations();

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SERIALIZERS_BINARY_ALLOCATION_TRACKER_H_
