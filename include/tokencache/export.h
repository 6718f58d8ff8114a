// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// TOKENCACHE_EXPORT marks the symbols of the public API. The library is
// compiled with hidden visibility, so anything without this macro stays
// private to the shared object.

#ifndef TOKENCACHE_EXPORT_H_
#define TOKENCACHE_EXPORT_H_

#if defined(TOKENCACHE_SHARED_LIBRARY)
#if defined(_WIN32)
#if defined(TOKENCACHE_COMPILE_LIBRARY)
#define TOKENCACHE_EXPORT __declspec(dllexport)
#else
#define TOKENCACHE_EXPORT __declspec(dllimport)
#endif
#else
#define TOKENCACHE_EXPORT __attribute__((visibility("default")))
#endif
#else
#define TOKENCACHE_EXPORT
#endif

#endif  // TOKENCACHE_EXPORT_H_
