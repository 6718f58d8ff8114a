// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The single source of tokencache's version. CMake reads these lines.

#ifndef TOKENCACHE_VERSION_H_
#define TOKENCACHE_VERSION_H_

#define TOKENCACHE_VERSION_MAJOR 0
#define TOKENCACHE_VERSION_MINOR 1
#define TOKENCACHE_VERSION_PATCH 0

#endif  // TOKENCACHE_VERSION_H_
