// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The encrypting decorator over the real file store: what reaches the disk
// (S7), tampering with the real file (K1 sample), and a wrong key (K4),
// against a plain file store as the control.

#include <sodium.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "tests/crypto/test_stores.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file.h"
#include "tokencache/cipher.h"
#include "tokencache/key_source.h"

namespace tokencache {
namespace {

const std::string kCanary = "CANARY-e41b07d2-file-refresh-token";

std::unique_ptr<BlobStore> OpenFile(const std::filesystem::path& path) {
  Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(path);
  REQUIRE_OK(store);
  return std::move(*store);
}

std::shared_ptr<const Cipher> CipherFromKeyFile(
    const std::filesystem::path& path) {
  Result<std::unique_ptr<KeySource>> source =
      KeySourceFromSpec("file:" + path.string());
  REQUIRE_OK(source);
  Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
  REQUIRE_OK(cipher);
  return *cipher;
}

void Overwrite(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST_CASE(
    "Over the real file store, only ciphertext reaches the disk while "
    "the plain store writes the canary",
    "[crypto][file][S7]") {
  test::TempDir dir;
  const auto cache = dir / "enc" / "tokens.bin";
  auto store = NewEncryptedBlobStore(
      OpenFile(cache), CipherFromKeyFile(dir / "keys" / "k"), cache.string());
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(store->Write(kCanary + std::to_string(i), std::nullopt));
  }
  Result<std::optional<Blob>> read = store->Read();
  REQUIRE_OK(read);
  REQUIRE(read->has_value());
  CHECK((*read)->bytes.Equals(kCanary + "4"));
  struct stat st;
  REQUIRE(::stat(cache.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  int hits = 0;
  for (std::size_t i = 0; i + 12 <= kCanary.size(); ++i) {
    hits += test::FilesContaining(dir.path(), kCanary.substr(i, 12));
  }
  CHECK(hits == 0);

  // Control: the plain file store does write the canary.
  const auto plain_path = dir / "plain" / "tokens.bin";
  auto plain = OpenFile(plain_path);
  REQUIRE_OK(plain->Write(kCanary, std::nullopt));
  CHECK(test::FilesContaining(dir / "plain", kCanary) == 1);
}

TEST_CASE(
    "A tampered or foreign-key cache file is reported and left byte "
    "for byte",
    "[crypto][file][K1][K4]") {
  test::TempDir dir;
  const auto cache = dir / "tokens.bin";
  auto cipher = CipherFromKeyFile(dir / "k");
  auto store = NewEncryptedBlobStore(OpenFile(cache), cipher, cache.string());
  REQUIRE_OK(store->Write(kCanary, std::nullopt));
  const std::string good = test::ReadAll(cache);

  // Flip one bit in every byte position of the file, one at a time.
  int accepted = 0, overwritten = 0;
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ (1 << (at % 8)));
    Overwrite(cache, bad);
    auto fresh = NewEncryptedBlobStore(OpenFile(cache), cipher, cache.string());
    if (fresh->Read().ok()) ++accepted;
    if (fresh->Write("replacement", std::nullopt).ok()) ++accepted;
    if (test::ReadAll(cache) != bad) ++overwritten;
  }
  CHECK(accepted == 0);
  CHECK(overwritten == 0);

  // Another key: kWrongKey, and the file keeps its bytes.
  Overwrite(cache, good);
  auto intruder = NewEncryptedBlobStore(
      OpenFile(cache), CipherFromKeyFile(dir / "other-key"), cache.string());
  CHECK(intruder->Read().status().code() == Code::kWrongKey);
  CHECK(intruder->Write("clobber", std::nullopt).status().code() ==
        Code::kWrongKey);
  CHECK(test::ReadAll(cache) == good);
  // A copy of the file under another cache id does not open either (K2).
  const auto moved = dir / "moved.bin";
  Overwrite(moved, good);
  auto elsewhere =
      NewEncryptedBlobStore(OpenFile(moved), cipher, moved.string());
  CHECK(elsewhere->Read().status().code() == Code::kCorrupted);
}

}  // namespace
}  // namespace tokencache
