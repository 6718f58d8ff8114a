// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A self-checking record for crash tests: a header with the counter and
// the filler length, the filler (one letter derived from the counter), and
// a trailer repeating the counter. Any torn, truncated or mixed file fails
// ParseRecord.

#ifndef TOKENCACHE_TESTS_MULTIPROCESS_RECORD_H_
#define TOKENCACHE_TESTS_MULTIPROCESS_RECORD_H_

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace tokencache {
namespace test {

inline std::string MakeRecord(long long value, int filler) {
  std::string record = "tc-c2 " + std::to_string(value) + " " +
                       std::to_string(filler) + "\n";
  record.append(static_cast<std::size_t>(filler),
                static_cast<char>('a' + value % 26));
  record += "\nend " + std::to_string(value) + "\n";
  return record;
}

inline std::optional<long long> ParseRecord(std::string_view bytes) {
  long long value = 0;
  int filler = 0;
  int header = 0;
  std::string copy(bytes.substr(0, 64));
  if (std::sscanf(copy.c_str(), "tc-c2 %lld %d\n%n", &value, &filler,
                  &header) != 2 ||
      header <= 0 || filler < 0 || value < 0) {
    return std::nullopt;
  }
  std::string expected = MakeRecord(value, filler);
  if (bytes != expected) return std::nullopt;
  return value;
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_MULTIPROCESS_RECORD_H_
