// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Multi-process helpers for the Windows tests: start this same executable
// in a child mode (CreateProcessW) and wait for it; the modes themselves.

#ifndef TOKENCACHE_TESTS_WINDOWS_WIN_CHILD_H_
#define TOKENCACHE_TESTS_WINDOWS_WIN_CHILD_H_

#include <windows.h>

#include <string>
#include <vector>

namespace tokencache {
namespace test {

// argv: "--child MODE ARGS..." modes:
//   hold LOCK READY RELEASE   hold LOCK exclusively, create READY, wait for
//                             RELEASE to exist, exit
//   counter LOCK FILE N       2 threads x N locked increments of FILE
//   dpapi-key KEYFILE OUT     LoadOrCreateDpapiKey, write a digest to OUT
int RunChildMode(int argc, char** argv);

// A started child process; the destructor kills one still running.
class WinChild {
 public:
  explicit WinChild(const std::vector<std::string>& args);
  WinChild(const WinChild&) = delete;
  WinChild& operator=(const WinChild&) = delete;
  ~WinChild();
  bool started() const { return process_ != nullptr; }
  // Waits up to `ms`; returns the exit code, or -1 on timeout.
  int Wait(DWORD ms = 60000);

 private:
  HANDLE process_ = nullptr;
};

// A digest of key bytes for comparing keys between processes without
// printing them (FNV-1a, hex).
std::string KeyDigest(const std::string& bytes);

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_WINDOWS_WIN_CHILD_H_
