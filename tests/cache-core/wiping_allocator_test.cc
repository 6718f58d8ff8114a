// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// WipingAllocator (cache-core/internal/wiping_allocator.h): the rapidjson
// allocator that wipes blocks before freeing them. What is checked here is
// that it is a correct allocator (contents survive growth and shrinking,
// null and zero sizes, rapidjson's DOM and string buffer on top of it);
// the sanitizer builds run this under ASan, which would flag a header
// miscount as an overflow or a bad free.

#include <catch2/catch.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string>

#include "cache-core/internal/wiping_allocator.h"

namespace tokencache {
namespace internal {
namespace {

TEST_CASE("WipingAllocator keeps contents across growth and shrinking",
          "[core][wiping_allocator]") {
  WipingAllocator a;
  CHECK(a.Malloc(0) == nullptr);
  WipingAllocator::Free(nullptr);  // no-op

  char* p = static_cast<char*>(a.Malloc(10));
  REQUIRE(p != nullptr);
  std::memcpy(p, "0123456789", 10);
  // Growth: the old block's bytes move to the new one.
  p = static_cast<char*>(a.Realloc(p, 10, 5000));
  REQUIRE(p != nullptr);
  CHECK(std::string(p, 10) == "0123456789");
  std::memset(p + 10, 'x', 4990);
  // Shrinking keeps the prefix; the size passed in is not trusted.
  p = static_cast<char*>(a.Realloc(p, 1, 12));
  REQUIRE(p != nullptr);
  CHECK(std::string(p, 12) == "0123456789xx");
  CHECK(a.Realloc(p, 12, 0) == nullptr);  // frees
  char* q = static_cast<char*>(a.Realloc(nullptr, 0, 3));
  REQUIRE(q != nullptr);
  WipingAllocator::Free(q);
}

TEST_CASE("rapidjson works on the wiping allocator",
          "[core][wiping_allocator]") {
  // A string buffer that grows through many reallocations.
  rapidjson::GenericStringBuffer<rapidjson::UTF8<>, WipingAllocator> buffer;
  rapidjson::Writer<decltype(buffer)> writer(buffer);
  writer.StartArray();
  std::string expected = "[";
  for (int i = 0; i < 2000; ++i) {
    const std::string s = "secret-" + std::to_string(i);
    writer.String(s.c_str());
    expected += (i ? ",\"" : "\"") + s + "\"";
  }
  writer.EndArray();
  expected += "]";
  CHECK(std::string(buffer.GetString(), buffer.GetSize()) == expected);

  // A DOM parsed into the wiped pool, with a deep stack.
  WipedDocument doc;
  doc.Parse(expected.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsArray());
  CHECK(doc.Size() == 2000);
  CHECK(std::string(doc[1999].GetString()) == "secret-1999");
  std::string nested(500, '[');
  nested += std::string(500, ']');
  WipedDocument deep;
  deep.Parse(nested.c_str());
  CHECK_FALSE(deep.HasParseError());
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
