// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Reading a journal file (tokencache/backends/file_journal.h) from bytes,
// for the store itself and for `tokencache verify`, which must not open the
// store (opening writes nothing, but a check should not even take locks).

#ifndef TOKENCACHE_BACKENDS_FILE_JOURNAL_FORMAT_H_
#define TOKENCACHE_BACKENDS_FILE_JOURNAL_FORMAT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// Whether `bytes` start like a journal (its magic), whatever follows.
bool LooksLikeJournal(std::string_view bytes);

struct JournalContents {
  std::string lineage;
  std::uint64_t end = 0;  // End of the last committed frame.
  std::uint64_t seq = 0;  // Its sequence number.
  // Bytes past `end`: what a writer that died mid-commit left.
  std::uint64_t uncommitted_bytes = 0;
};

// Parses a whole journal file and calls `record` for every operation of
// every committed frame, in order (a value of nullopt erases). Errors:
// kCorrupted (not a journal, checksum, truncation; `path` names the file
// in the message, which never quotes record contents), kNotSupported (a
// newer format version). On an error `record` may already have been
// called for the frames before the bad one: drop what it received.
// `may_be_racing`, when given, is set for the two
// failures a writer appending and publishing while `bytes` were read can
// cause (a commit block torn or past the bytes read): read again before
// calling that corruption.
Result<JournalContents> ParseJournal(
    std::string_view bytes, const std::string& path,
    const std::function<void(std::string_view key,
                             std::optional<std::string_view> value)>& record,
    bool* may_be_racing = nullptr);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_JOURNAL_FORMAT_H_
