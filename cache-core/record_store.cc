// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/record_store.h"

#include <exception>
#include <string>
#include <utility>

namespace tokencache {
namespace {

Status Tag(std::string_view name, const Status& status) {
  if (status.ok()) return status;
  return status.WithContext(name);
}

// Exception text from third-party code may quote data; keep only its kind.
Status FromException(std::string_view name) {
  return Tag(name, Status(Code::kInternal,
                          "unexpected exception in record store hook"));
}

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// Runs `hook`, tagging errors with `name` and turning exceptions into
// kInternal.
template <typename R, typename F>
R Guard(std::string_view name, F&& hook) {
  try {
    R result = hook();
    if (!result.ok()) return Tag(name, StatusOf(result));
    return result;
  } catch (...) {
    return FromException(name);
  }
}

}  // namespace

RecordTransaction::~RecordTransaction() = default;
RecordStore::~RecordStore() = default;
RecordCodec::~RecordCodec() = default;

Result<std::optional<SecretBytes>> RecordTransaction::Get(
    std::string_view key) {
  return Guard<Result<std::optional<SecretBytes>>>(
      StoreName(), [&] { return DoGet(key); });
}

Status RecordTransaction::Scan(std::string_view prefix,
                               const RecordScanFn& fn) {
  return Guard<Status>(StoreName(), [&] { return DoScan(prefix, fn); });
}

Status RecordTransaction::ScanMatching(std::string_view prefix,
                                       const RecordKeyFilter& accept,
                                       const RecordScanFn& fn) {
  return Guard<Status>(StoreName(),
                       [&] { return DoScanMatching(prefix, accept, fn); });
}

Status RecordTransaction::DoScanMatching(std::string_view prefix,
                                         const RecordKeyFilter& accept,
                                         const RecordScanFn& fn) {
  return DoScan(prefix, [&](std::string_view key, std::string_view value) {
    return (accept && !accept(key)) || fn(key, value);
  });
}

Status RecordTransaction::Put(std::string_view key, std::string_view value) {
  if (!writable_ || committed_) {
    return Tag(StoreName(),
               InvalidArgumentError("Put outside an open write transaction"));
  }
  if (key.empty()) {
    return Tag(StoreName(), InvalidArgumentError("Put with an empty key"));
  }
  return Guard<Status>(StoreName(), [&] { return DoPut(key, value); });
}

Status RecordTransaction::Erase(std::string_view key) {
  if (!writable_ || committed_) {
    return Tag(StoreName(), InvalidArgumentError(
                                "Erase outside an open write transaction"));
  }
  return Guard<Status>(StoreName(), [&] { return DoErase(key); });
}

Result<std::uint64_t> RecordTransaction::Commit(
    std::optional<std::uint64_t> expected) {
  if (!writable_ || committed_) {
    return Tag(StoreName(), InvalidArgumentError(
                                "Commit outside an open write transaction"));
  }
  committed_ = true;
  const std::uint64_t want = expected.value_or(generation_);
  return Guard<Result<std::uint64_t>>(StoreName(),
                                      [&] { return DoCommit(want); });
}

Result<std::unique_ptr<RecordTransaction>> RecordStore::BeginRead() {
  return Guard<Result<std::unique_ptr<RecordTransaction>>>(
      Name(), [&] { return DoBegin(false); });
}

Result<std::unique_ptr<RecordTransaction>> RecordStore::BeginWrite() {
  return Guard<Result<std::unique_ptr<RecordTransaction>>>(
      Name(), [&] { return DoBegin(true); });
}

Result<SecretBytes> RecordCodec::Encode(const RecordEntity& entity) const {
  return Guard<Result<SecretBytes>>(Name(), [&] { return DoEncode(entity); });
}

Result<RecordEntity> RecordCodec::Decode(std::string_view value) const {
  return Guard<Result<RecordEntity>>(Name(), [&] { return DoDecode(value); });
}

}  // namespace tokencache
