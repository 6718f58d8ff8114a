# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# cmake -DMESSAGE=... -P fail.cmake: a test that fails with MESSAGE, for a
# prerequisite that is missing (a missing prerequisite fails, never skips).
message(FATAL_ERROR "${MESSAGE}")
