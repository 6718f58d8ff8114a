// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/blob_store.h"

#include <exception>
#include <string>

namespace tokencache {
namespace {

// Prefixes the store's name to an error, once.
Status Tag(std::string_view name, const Status& status) {
  if (status.ok()) return status;
  return status.WithContext(name);
}

Status FromException(std::string_view name, const char* what) {
  std::string message = "unexpected exception in backend hook";
  // Exception text from third-party code may quote data; keep only its kind.
  (void)what;
  return Tag(name, Status(Code::kInternal, message));
}

}  // namespace

BlobStore::~BlobStore() = default;

Result<BlobVersion> BlobStore::DoPeekVersion() {
  Result<std::optional<Blob>> blob = DoRead();
  if (!blob.ok()) return blob.status();
  if (!blob->has_value()) return BlobVersion{};
  return (*blob)->version;
}

Result<std::optional<Blob>> BlobStore::Read() {
  try {
    Result<std::optional<Blob>> result = DoRead();
    if (!result.ok()) return Tag(Name(), result.status());
    return result;
  } catch (const std::exception& e) {
    return FromException(Name(), e.what());
  } catch (...) {
    return FromException(Name(), nullptr);
  }
}

Result<BlobVersion> BlobStore::PeekVersion() {
  try {
    Result<BlobVersion> result = DoPeekVersion();
    if (!result.ok()) return Tag(Name(), result.status());
    return result;
  } catch (const std::exception& e) {
    return FromException(Name(), e.what());
  } catch (...) {
    return FromException(Name(), nullptr);
  }
}

Result<BlobVersion> BlobStore::Write(
    std::string_view bytes, const std::optional<BlobVersion>& expected) {
  try {
    Result<BlobVersion> result = DoWrite(bytes, expected);
    if (!result.ok()) return Tag(Name(), result.status());
    return result;
  } catch (const std::exception& e) {
    return FromException(Name(), e.what());
  } catch (...) {
    return FromException(Name(), nullptr);
  }
}

}  // namespace tokencache
