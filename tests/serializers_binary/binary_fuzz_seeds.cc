// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Writes the seed corpus of fuzz/binary_fuzz.cc into the directory named on
// the command line: valid records of every kind (full, empty, with unknown
// fields) and valid snapshots. Run it when the format gains a field and
// commit the output:
//
//   build/tests/serializers_binary/binary_fuzz_seeds fuzz/corpus/binary

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_samples.h"
#include "tokencache/serializers/binary.h"

namespace {

namespace fs = std::filesystem;
using tokencache::AnyEntity;
using tokencache::Result;
using tokencache::SecretBytes;

bool Write(const fs::path& dir, const std::string& name,
           std::string_view bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "binary_fuzz_seeds: cannot write %s\n", name.c_str());
    return false;
  }
  return true;
}

bool WriteRecord(const fs::path& dir, const std::string& name,
                 const AnyEntity& entity) {
  Result<SecretBytes> r = tokencache::EncodeRecord(entity);
  if (!r.ok()) {
    std::fprintf(stderr, "binary_fuzz_seeds: %s\n",
                 r.status().ToString().c_str());
    return false;
  }
  return Write(dir, name, r->view());
}

bool WriteSnapshot(const fs::path& dir, const std::string& name,
                   const tokencache::CacheSnapshot& snapshot) {
  Result<SecretBytes> s =
      tokencache::NewBinarySerializer()->Serialize(snapshot);
  if (!s.ok()) {
    std::fprintf(stderr, "binary_fuzz_seeds: %s\n",
                 s.status().ToString().c_str());
    return false;
  }
  return Write(dir, name, s->view());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: binary_fuzz_seeds <directory>\n");
    return 2;
  }
  const fs::path dir(argv[1]);
  std::error_code ec;
  fs::create_directories(dir, ec);
  namespace t = tokencache::test;
  using t::Tlv;
  bool ok = WriteRecord(dir, "record-account", t::FullAccount()) &&
            WriteRecord(dir, "record-access-token", t::FullAccessToken()) &&
            WriteRecord(dir, "record-refresh-token", t::FullRefreshToken()) &&
            WriteRecord(dir, "record-id-token", t::FullIdToken()) &&
            WriteRecord(dir, "record-app-metadata", t::FullAppMetadata()) &&
            WriteRecord(dir, "record-empty-access-token",
                        tokencache::AccessToken()) &&
            // Fields a newer version might add, in an entity and a profile.
            Write(dir, "record-unknown-fields",
                  t::Record(1, Tlv(2, "home") + Tlv(40, "new") +
                                   Tlv(16, Tlv(2, "tid") + Tlv(30, "x")))) &&
            // Extras and sections that resemble carriers of unknown data,
            // so that the fuzzer reaches the carrier parser with near misses.
            WriteRecord(dir, "record-carrier-lookalikes",
                        [] {
                          tokencache::AppMetadata m;
                          m.extra = {{"tokencache:bin:41", "\"AA\""},
                                     {"tokencache:bin:42", "\"AAAA\""},
                                     {"tokencache:bin:043", "\"AA==\""}};
                          return m;
                        }()) &&
            WriteSnapshot(dir, "snapshot-section-lookalikes",
                          [] {
                            tokencache::CacheSnapshot s;
                            s.unknown_sections = {
                                {"tokencache:bin-kind:2", "\"AA==\""},
                                {"tokencache:bin-kind:9", "\"AA\""}};
                            return s;
                          }()) &&
            WriteSnapshot(dir, "snapshot-sample", t::SampleSnapshot(1)) &&
            WriteSnapshot(dir, "snapshot-empty", tokencache::CacheSnapshot()) &&
            Write(dir, "snapshot-unknown-kind",
                  t::Envelope(t::Entry(9, "future") +
                              t::Entry(2, Tlv(4, "cid") + Tlv(50, "v")) +
                              t::Entry(6, "\3Foo[1]")));
  return ok ? 0 : 1;
}
