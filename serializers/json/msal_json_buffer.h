// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the MSAL JSON reader and writer: the wiped, padded
// buffer they parse in place, and the byte screening that runs before
// parsing.

#ifndef TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_BUFFER_H_
#define TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_BUFFER_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "tokencache/secret.h"

namespace tokencache {
namespace internal {

// A NUL-terminated private copy of JSON text for rapidjson's in-place
// parser, wiped however the parse ends (it holds token text). The size is
// rounded up to whole 16-byte blocks of zeros: rapidjson's SSE2 scanners
// load aligned 16-byte blocks and may read past the terminator within one.
class ParseBuffer {
 public:
  explicit ParseBuffer(std::string_view text)
      : capacity_((text.size() + 1 + 15) / 16 * 16 + 16),
        data_(new char[capacity_]) {
    std::memcpy(data_.get(), text.data(), text.size());
    std::memset(data_.get() + text.size(), 0, capacity_ - text.size());
  }
  ~ParseBuffer() { SecureWipe(data_.get(), capacity_); }
  ParseBuffer(const ParseBuffer&) = delete;
  ParseBuffer& operator=(const ParseBuffer&) = delete;

  char* data() { return data_.get(); }

 private:
  std::size_t capacity_;
  std::unique_ptr<char[]> data_;
};

// Returns the offset of the first byte of `text` that no JSON text may
// hold, or text.size() when there is none: bytes that are not valid UTF-8
// (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF),
// and raw control characters other than tab, line feed and carriage return
// (including NUL). Printable ASCII is checked eight bytes at a time.
//
// Why not rapidjson's checks: kParseValidateEncodingFlag validates per
// character and disables the SSE2 string scanner (5x slower), and that
// scanner in rapidjson 1.1 lets raw 0x1A to 0x1F through inside strings (it
// compares against 0x19), so text must be screened before it is parsed.
std::size_t FindInvalidJsonByte(std::string_view text);

// "NUL byte", "control character" or "invalid UTF-8": what is wrong at
// `offset`, a position FindInvalidJsonByte returned.
std::string DescribeInvalidByte(std::string_view text, std::size_t offset);

// True when the decoded string `s` holds an encoded UTF-16 surrogate (ED A0
// to ED BF). rapidjson 1.1 decodes a lone low-surrogate escape ("\udc00")
// into such bytes, which are not UTF-8 and would not be read back; callers
// refuse strings that contain them.
bool HasEncodedSurrogate(const char* s, std::size_t n);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_BUFFER_H_
