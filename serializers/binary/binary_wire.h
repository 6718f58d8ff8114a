// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The primitives of the binary format (docs/binary-format.md §2): unsigned
// LEB128 varints, zig-zag for signed values, a bounds-checked reader over a
// byte slice, and two sinks that share one encoding routine: one counts the
// bytes an encoding needs, the other writes them into a buffer of exactly
// that size. Encoding in two passes lets a record go straight into one
// SecretBytes allocation, with no intermediate std::string holding token
// text.
//
// Everything here is inline: the decoder's inner loop is made of these calls.

#ifndef TOKENCACHE_SERIALIZERS_BINARY_BINARY_WIRE_H_
#define TOKENCACHE_SERIALIZERS_BINARY_BINARY_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tokencache {
namespace internal {

// A 64-bit value never needs more than 10 LEB128 bytes; the tenth may only
// carry the top bit.
inline constexpr std::size_t kMaxVarintBytes = 10;

inline constexpr std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline constexpr std::uint64_t ZigZagEncode(std::int64_t v) {
  // Shift the unsigned bit pattern: a left shift of a negative signed value
  // is undefined before C++20.
  return (static_cast<std::uint64_t>(v) << 1) ^
         static_cast<std::uint64_t>(v < 0 ? ~std::uint64_t{0} : 0);
}

inline constexpr std::int64_t ZigZagDecode(std::uint64_t u) {
  std::uint64_t bits = (u >> 1) ^ (~(u & 1) + 1);
  // Converting an unsigned value above INT64_MAX to std::int64_t is
  // implementation-defined before C++20; GCC, Clang and MSVC wrap it as two's
  // complement, which is exactly the inverse of ZigZagEncode.
  return static_cast<std::int64_t>(bits);
}

enum class VarintStatus { kOk, kTruncated, kTooLong };

// Reads from a slice that starts at absolute offset `base` of the outermost
// input, so that errors can name positions in the caller's terms.
class WireReader {
 public:
  WireReader(std::string_view data, std::size_t base)
      : begin_(reinterpret_cast<const unsigned char*>(data.data())),
        p_(begin_),
        end_(begin_ + data.size()),
        base_(base) {}

  bool done() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  std::size_t offset() const {
    return base_ + static_cast<std::size_t>(p_ - begin_);
  }

  VarintStatus ReadVarint(std::uint64_t* value) {
    std::uint64_t result = 0;
    for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
      if (p_ == end_) return VarintStatus::kTruncated;
      std::uint64_t byte = *p_++;
      if (i == kMaxVarintBytes - 1 && byte > 1) {
        return VarintStatus::kTooLong;  // bits beyond 64, or an 11th byte
      }
      result |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        *value = result;
        return VarintStatus::kOk;
      }
    }
    return VarintStatus::kTooLong;
  }

  // Takes the next `n` bytes. Returns false, consuming nothing, when fewer
  // remain; `n` is compared before any arithmetic, so no value overflows.
  bool Take(std::uint64_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_),
                            static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  // Everything not yet read.
  std::string_view Rest() {
    std::string_view rest(reinterpret_cast<const char*>(p_), remaining());
    p_ = end_;
    return rest;
  }

 private:
  const unsigned char* begin_;
  const unsigned char* p_;
  const unsigned char* end_;
  std::size_t base_;
};

// Counts the bytes an encoding would produce.
class CountingSink {
 public:
  void Byte(std::uint8_t) { ++size_; }
  void Bytes(std::string_view bytes) { size_ += bytes.size(); }
  void Varint(std::uint64_t v) { size_ += VarintSize(v); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

// Writes into a buffer the caller sized with a CountingSink pass over the
// same encoding; it does not check bounds itself, the caller compares
// written() with the count afterwards.
class WritingSink {
 public:
  explicit WritingSink(char* out) : start_(out), p_(out) {}
  void Byte(std::uint8_t b) { *p_++ = static_cast<char>(b); }
  void Bytes(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(p_, bytes.data(), bytes.size());
    p_ += bytes.size();
  }
  void Varint(std::uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  std::size_t written() const { return static_cast<std::size_t>(p_ - start_); }

 private:
  char* start_;
  char* p_;
};

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_BINARY_BINARY_WIRE_H_
