// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// S8, as far as a test can see it: key material sits in its own guarded,
// no-dump (and, when the limit allows, locked) read-only mapping, and that
// mapping is gone once the key or the Cipher holding it is destroyed.
// sodium_free() wipes before unmapping; after the unmap there is nothing
// left for a test to read, so the wipe itself is libsodium's promise.

#include "backends/crypto/secure_memory.h"

#include <sodium.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/status_matchers.h"
#include "tokencache/cipher.h"

namespace tokencache {
namespace {

// AddressSanitizer intercepts mlock() and makes it a no-op.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockWorks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMlockWorks = false;
#else
constexpr bool kMlockWorks = true;
#endif
#else
constexpr bool kMlockWorks = true;
#endif

struct Mapping {
  bool found = false;
  std::string perms;
  std::string vm_flags;
};

// Finds the /proc/self/smaps entry that contains `address`.
Mapping MappingOf(const void* address) {
  const auto target = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  Mapping mapping;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t start = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (line.find("VmFlags:") == 0) {
      if (inside) {
        mapping.vm_flags = line.substr(8);
        return mapping;
      }
      continue;
    }
    if (head >> std::hex >> start >> dash >> end && dash == '-' &&
        end > start) {
      inside = target >= start && target < end;
      if (inside) {
        mapping.found = true;
        head >> mapping.perms;
      }
    }
  }
  return mapping;
}

bool HasFlag(const std::string& flags, const std::string& flag) {
  std::istringstream in(flags);
  std::string word;
  while (in >> word) {
    if (word == flag) return true;
  }
  return false;
}

bool IsMapped(const void* address) {
  const long page = ::sysconf(_SC_PAGESIZE);
  auto base = reinterpret_cast<std::uintptr_t>(address) &
              ~static_cast<std::uintptr_t>(page - 1);
  unsigned char vec = 0;
  // mincore fails with ENOMEM exactly when the page is not mapped.
  return ::mincore(reinterpret_cast<void*>(base),
                   static_cast<std::size_t>(page), &vec) == 0 ||
         errno != ENOMEM;
}

// Counts mappings flagged "dd" (excluded from core dumps), which is how
// sodium_malloc marks each guarded allocation.
int DontDumpMappings() {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  int count = 0;
  while (std::getline(smaps, line)) {
    if (line.find("VmFlags:") == 0 && HasFlag(line.substr(8), "dd")) ++count;
  }
  return count;
}

TEST_CASE(
    "S8: key buffers live in their own no-dump, read-only mapping "
    "that is unmapped on destruction",
    "[crypto][memory][S8]") {
  Result<std::unique_ptr<internal::SecureBuffer>> key =
      internal::SecureBuffer::CopyOf(std::string(32, '\x5a'));
  REQUIRE_OK(key);
  const void* address = (*key)->data();
  Mapping mapping = MappingOf(address);
  REQUIRE(mapping.found);
  INFO("perms " << mapping.perms << " VmFlags" << mapping.vm_flags);
  CHECK(HasFlag(mapping.vm_flags, "dd"));
  CHECK(mapping.perms.substr(0, 3) == "r--");
  struct rlimit limit;
  REQUIRE(::getrlimit(RLIMIT_MEMLOCK, &limit) == 0);
  if (kMlockWorks && limit.rlim_cur >= 64 * 1024) {
    CHECK(HasFlag(mapping.vm_flags, "lo"));
  } else {
    // Said out loud rather than skipped silently.
    WARN(
        "mlock is unavailable here (AddressSanitizer turns mlock into a "
        "no-op, or RLIMIT_MEMLOCK is tiny); the 'lo' flag is not checked");
  }
  // The bytes are there while the key lives.
  CHECK(std::memcmp(address, std::string(32, '\x5a').data(), 32) == 0);

  key->reset();
  CHECK_FALSE(IsMapped(address));
}

TEST_CASE("S8: a Cipher's key mappings are released when it is destroyed",
          "[crypto][memory][S8]") {
  REQUIRE(sodium_init() >= 0);
  const int baseline = DontDumpMappings();
  {
    SecretBytes key;
    key.Resize(32);
    randombytes_buf(key.mutable_data(), key.size());
    Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(key);
    REQUIRE_OK(cipher);
    CHECK(DontDumpMappings() >= baseline + 1);
    Result<std::unique_ptr<Cipher>> pass =
        NewPassphraseCipher(SecretBytes("memory test passphrase"));
    REQUIRE_OK(pass);
    // Deriving adds the derived key's mapping to the passphrase's.
    REQUIRE_OK((*pass)->Seal("x", BlobContext("c")));
    CHECK(DontDumpMappings() >= baseline + 3);
  }
  CHECK(DontDumpMappings() == baseline);
}

}  // namespace
}  // namespace tokencache
