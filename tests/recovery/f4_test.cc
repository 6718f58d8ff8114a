// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Reliability plan F4 (and K1 for the whole stack): at-rest corruption of a
// small cache file (about 4 KiB) written through OpenCache. Every
// single-bit flip, every truncation, appends of 1-64 bytes and random
// multi-byte corruptions are written over the file in place, and each
// variant is judged by VerifyCache (URI parsing, file read, decryption,
// parsing and loading: the stack OpenCache runs). A sample of the variants
// is also opened with OpenCache, which must refuse it. After every variant
// the file must hold exactly the variant's bytes: nothing ever rewrote it.
//
// Bars: binary format and encrypted file, 100% detected (kCorrupted, or
// kWrongKey when the flip lands in the envelope's key id). MSAL JSON has no
// checksum (MSAL apps must read the file), so its detection rate is
// reported: a variant counts as detected when it does not parse, and as a
// silent change when it parses to different content.

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "tests/recovery/recovery_support.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/recovery.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

struct Figures {
  long variants = 0;
  long detected = 0;           // Verdict other than kOk.
  long silent_changes = 0;     // kOk, but the content differs (JSON only).
  long harmless = 0;           // kOk and the same content (JSON only).
  long errors = 0;             // VerifyCache failed to give a verdict.
  long overwrites = 0;         // The file no longer held the variant.
  long opens_checked = 0;      // Variants also opened with OpenCache.
  long opens_accepted = 0;     // ... which OpenCache opened anyway.
  std::map<Code, long> codes;  // Verdicts by code.
};

class Harness {
 public:
  Harness(std::string uri, std::filesystem::path file, bool json)
      : uri_(std::move(uri)), file_(std::move(file)), json_(json) {
    original_ = test::ReadBytes(file_);
    fd_ = open(file_.c_str(), O_RDWR | O_CLOEXEC);
    if (json_) {
      Result<CacheSnapshot> parsed = json_serializer_->Deserialize(original_);
      if (parsed.ok()) canonical_ = Canonical(*parsed);
    }
  }
  ~Harness() {
    if (fd_ >= 0) close(fd_);
  }

  bool ready() const { return fd_ >= 0 && !original_.empty(); }
  std::size_t size() const { return original_.size(); }
  const Figures& figures() const { return figures_; }

  // Puts `variant` in the file (in place), judges it, and restores the
  // original bytes.
  void Try(const std::string& variant) {
    Put(variant);
    Judge(variant);
    Put(original_);
  }

  // The same for a single-bit flip, rewriting just that byte.
  void Flip(std::size_t index, int bit) {
    char flipped = static_cast<char>(original_[index] ^ (1 << bit));
    PutByte(index, flipped);
    std::string variant = original_;
    variant[index] = flipped;
    Judge(variant);
    PutByte(index, original_[index]);
  }

 private:
  std::string Canonical(const CacheSnapshot& snapshot) {
    Result<SecretBytes> bytes = json_serializer_->Serialize(snapshot);
    return bytes.ok() ? std::string(bytes->view()) : std::string();
  }

  void Put(const std::string& bytes) {
    REQUIRE(ftruncate(fd_, 0) == 0);
    REQUIRE(pwrite(fd_, bytes.data(), bytes.size(), 0) ==
            static_cast<ssize_t>(bytes.size()));
  }
  void PutByte(std::size_t index, char value) {
    REQUIRE(pwrite(fd_, &value, 1, static_cast<off_t>(index)) == 1);
  }

  void Judge(const std::string& variant) {
    ++figures_.variants;
    Result<VerifyReport> report = VerifyCache(uri_);
    if (!report.ok()) {
      ++figures_.errors;
      return;
    }
    ++figures_.codes[report->code];
    if (report->code != Code::kOk) {
      ++figures_.detected;
    } else if (json_) {
      Result<CacheSnapshot> parsed = json_serializer_->Deserialize(variant);
      if (parsed.ok() && Canonical(*parsed) == canonical_) {
        ++figures_.harmless;
      } else {
        ++figures_.silent_changes;
      }
    }
    // A sample goes through OpenCache too: it must refuse what verify
    // rejects, and neither may write.
    if (figures_.variants % 32 == 0 && report->code != Code::kOk) {
      ++figures_.opens_checked;
      Result<std::unique_ptr<Cache>> cache = OpenCache(uri_);
      if (cache.ok()) ++figures_.opens_accepted;
    }
    if (test::ReadBytes(file_) != variant) ++figures_.overwrites;
  }

  const std::string uri_;
  const std::filesystem::path file_;
  const bool json_;
  std::unique_ptr<Serializer> json_serializer_ = NewMsalJsonSerializer();
  std::string original_;
  std::string canonical_;
  int fd_ = -1;
  Figures figures_;
};

// Writes a cache of just over 4 KiB through OpenCache at `uri`.
void WriteSmallCache(const std::string& uri,
                     const std::filesystem::path& file) {
  for (int n = 1; n < 64; ++n) {
    std::filesystem::remove(file);
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(test::SampleSnapshot(n)));
    if (std::filesystem::file_size(file) >= 3900) return;
  }
  FAIL("could not reach 4 KiB");
}

Figures RunF4(const std::string& uri, const std::filesystem::path& file,
              bool json, int random_variants, std::size_t* size) {
  WriteSmallCache(uri, file);
  Harness harness(uri, file, json);
  REQUIRE(harness.ready());
  *size = harness.size();
  Result<VerifyReport> healthy = VerifyCache(uri);
  REQUIRE_OK(healthy);
  REQUIRE(healthy->code == Code::kOk);  // The unmodified file is fine.

  const std::string original = test::ReadBytes(file);
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) harness.Flip(i, bit);
  }
  for (std::size_t length = 0; length < original.size(); ++length) {
    harness.Try(original.substr(0, length));
  }
  for (int extra = 1; extra <= 64; ++extra) {
    harness.Try(original + std::string(static_cast<std::size_t>(extra),
                                       static_cast<char>('A' + extra % 26)));
  }
  std::mt19937 rng(0xF4);
  std::uniform_int_distribution<std::size_t> pos(0, original.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> count(2, 16);
  for (int v = 0; v < random_variants; ++v) {
    std::string variant = original;
    const int changes = count(rng);
    for (int c = 0; c < changes; ++c) {
      // XOR with a non-zero value, so each chosen byte really changes.
      variant[pos(rng)] ^= static_cast<char>(1 + byte(rng) % 255);
    }
    if (variant == original) continue;
    harness.Try(variant);
  }
  return harness.figures();
}

std::string FiguresJson(const Figures& f, std::size_t size) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.6f",
                f.variants == 0 ? 0.0
                                : static_cast<double>(f.detected) /
                                      static_cast<double>(f.variants));
  std::string codes;
  for (const auto& [code, n] : f.codes) {
    codes += std::string(codes.empty() ? "" : ",") + "\"" + CodeName(code) +
             "\":" + std::to_string(n);
  }
  return "\"bytes\":" + std::to_string(size) +
         ",\"variants\":" + std::to_string(f.variants) +
         ",\"detected\":" + std::to_string(f.detected) +
         ",\"detected_rate\":" + rate +
         ",\"silent_changes\":" + std::to_string(f.silent_changes) +
         ",\"harmless\":" + std::to_string(f.harmless) +
         ",\"errors\":" + std::to_string(f.errors) +
         ",\"overwrites\":" + std::to_string(f.overwrites) +
         ",\"open_sampled\":" + std::to_string(f.opens_checked) +
         ",\"open_accepted\":" + std::to_string(f.opens_accepted) +
         ",\"verdicts\":{" + codes + "}";
}

constexpr int kRandomVariants = 1000;

TEST_CASE(
    "Every bit flip and truncation of a small binary cache is "
    "detected and never overwritten (F4)",
    "[recovery][F4]") {
  test::TempDir dir;
  const auto file = dir / "cache.bin";
  std::size_t size = 0;
  Figures f = RunF4("file://" + file.string() + "?format=binary", file, false,
                    kRandomVariants, &size);
  const bool pass = f.detected == f.variants && f.errors == 0 &&
                    f.overwrites == 0 && f.opens_accepted == 0;
  test::ReportLine("F4",
                   "\"backend\":\"file\",\"format\":\"binary\",\"random\":" +
                       std::to_string(kRandomVariants),
                   FiguresJson(f, size),
                   "100% detected as kCorrupted, 0 errors, 0 overwrites", pass);
  CHECK(f.variants > static_cast<long>(size) * 8);
  CHECK(f.detected == f.variants);
  CHECK(f.codes[Code::kCorrupted] == f.variants);
  CHECK(f.errors == 0);
  CHECK(f.overwrites == 0);
  CHECK(f.opens_checked > 0);
  CHECK(f.opens_accepted == 0);
}

TEST_CASE(
    "Every bit flip, truncation and append of a small encrypted "
    "cache is rejected through the whole stack (F4/K1)",
    "[recovery][F4][K1]") {
  test::TempDir dir;
  const auto file = dir / "cache.enc";
  std::size_t size = 0;
  Figures f =
      RunF4("file://" + file.string() + "?key=file:" + (dir / "key").string(),
            file, false, kRandomVariants, &size);
  const bool pass = f.detected == f.variants && f.errors == 0 &&
                    f.overwrites == 0 && f.opens_accepted == 0;
  test::ReportLine("F4",
                   "\"backend\":\"file\",\"format\":\"msal-json\","
                   "\"encrypted\":true,\"random\":" +
                       std::to_string(kRandomVariants),
                   FiguresJson(f, size),
                   "100% rejected (kCorrupted; kWrongKey for key-id flips), "
                   "0 errors, 0 overwrites",
                   pass);
  CHECK(f.detected == f.variants);
  // Only flips inside the 8-byte key id may read as another key.
  CHECK(f.codes[Code::kWrongKey] <= 8 * 8 + kRandomVariants);
  CHECK(f.errors == 0);
  CHECK(f.overwrites == 0);
  CHECK(f.opens_accepted == 0);
}

TEST_CASE(
    "MSAL JSON has no checksum: the detection rate of bit flips and "
    "truncations is reported and the file is never overwritten (F4)",
    "[recovery][F4][json]") {
  test::TempDir dir;
  const auto file = dir / "cache.json";
  std::size_t size = 0;
  Figures f =
      RunF4("file://" + file.string(), file, true, kRandomVariants, &size);
  test::ReportLine("F4",
                   "\"backend\":\"file\",\"format\":\"msal-json\","
                   "\"random\":" +
                       std::to_string(kRandomVariants),
                   FiguresJson(f, size),
                   "report the detection rate (no checksum in MSAL JSON); "
                   "0 errors, 0 overwrites",
                   f.errors == 0 && f.overwrites == 0);
  CHECK(f.detected + f.silent_changes + f.harmless == f.variants);
  CHECK(f.detected > 0);
  CHECK(f.errors == 0);
  CHECK(f.overwrites == 0);
  CHECK(f.opens_accepted == 0);
}

}  // namespace
}  // namespace tokencache
