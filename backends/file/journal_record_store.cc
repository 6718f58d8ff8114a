// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// FileJournalStore (tokencache/backends/file_journal.h). The format is in
// docs/journal-format.md; in short, little-endian throughout:
//
//   header, 128 bytes
//     0   magic "TCJRNL\r\n"
//     8   u32 format version (1)      12  u32 flags (0)
//     16  lineage id, 16 random bytes, kept by compaction
//     32  u64 base sequence number: the file's first frame is base + 1
//     40  8 zero bytes                48  BLAKE2b-128 of bytes 0..48
//     64  commit block: u64 end of the last committed frame, u64 its
//         sequence number, BLAKE2b-128 of (lineage, those 16 bytes)
//     96  zero to 128
//   frames, from 128
//     u32 payload length, u32 flags (1 = a compaction's snapshot),
//     u64 sequence number, payload, BLAKE2b-128 of (lineage, the 16 head
//     bytes, payload)
//   payload: operations, each u8 kind (1 put, 2 erase), u32 key length,
//     key, and for a put u32 value length, value.

#include "tokencache/backends/file_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "backends/file/file_common.h"
#include "backends/file/file_env.h"
#include "backends/file/journal_format.h"
#include "tokencache/file_lock.h"
#include "tokencache/secret.h"

namespace tokencache {
namespace internal {
namespace {

constexpr char kMagic[8] = {'T', 'C', 'J', 'R', 'N', 'L', '\r', '\n'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHashSize = 16;
constexpr std::size_t kLineageSize = 16;
constexpr std::size_t kStaticHashed = 48;
constexpr std::size_t kCommitOffset = 64;
constexpr std::size_t kCommitHashed = 16;
constexpr std::size_t kCommitSize = kCommitHashed + kHashSize;
constexpr std::size_t kHeaderSize = 128;
constexpr std::size_t kFrameHead = 16;
constexpr std::size_t kFrameOverhead = kFrameHead + kHashSize;
constexpr std::uint32_t kSnapshotFrame = 1;
constexpr std::uint32_t kMaxPayload = std::uint32_t{1} << 30;
constexpr unsigned char kOpPut = 1;
constexpr unsigned char kOpErase = 2;
// Reads of the commit block that may race a writer's update of it.
constexpr int kCommitReadAttempts = 4;
constexpr int kMaxEintr = 64;

void PutU32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
std::uint32_t GetU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint64_t GetU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// BLAKE2b-128 over the concatenation of `parts`.
void Hash(std::initializer_list<std::string_view> parts,
          unsigned char out[kHashSize]) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kHashSize);
  for (std::string_view part : parts) {
    crypto_generichash_update(
        &state, reinterpret_cast<const unsigned char*>(part.data()),
        part.size());
  }
  crypto_generichash_final(&state, out, kHashSize);
}

bool HashMatches(std::initializer_list<std::string_view> parts,
                 const char* stored) {
  unsigned char digest[kHashSize];
  Hash(parts, digest);
  return sodium_memcmp(digest, stored, kHashSize) == 0;
}

// A record value shared by every map version that holds it.
using Value = std::shared_ptr<const SecretBytes>;
using RecordMap = std::map<std::string, Value, std::less<>>;

// One version of the records. Transactions that read it count as users; a
// change while it has users goes to a copy.
struct Records {
  RecordMap map;
  std::uint64_t bytes = 0;  // Keys and values, for the compaction rule.
  int users = 0;            // Guarded by Journal::mu_.
};

// A commit's changes, by key: a value to put, or nullopt to erase.
using Changes = std::map<std::string, std::optional<Value>, std::less<>>;

void Apply(Records* records, std::string_view key, std::optional<Value> value) {
  auto it = records->map.find(key);
  if (it != records->map.end()) {
    records->bytes -= it->first.size() + it->second->size();
    if (!value.has_value()) {
      records->map.erase(it);
      return;
    }
    it->second = std::move(*value);
    records->bytes += it->first.size() + it->second->size();
    return;
  }
  if (!value.has_value()) return;
  records->bytes += key.size() + (*value)->size();
  records->map.emplace(std::string(key), std::move(*value));
}

// An operation callback for ScanFrames/ParseJournal that applies each
// operation to `records`, copying the value out of the read buffer.
std::function<void(std::string_view, std::optional<std::string_view>)>
ApplyingTo(Records* records) {
  return [records](std::string_view key,
                   std::optional<std::string_view> value) {
    Apply(records, key,
          value ? std::optional<Value>(std::make_shared<SecretBytes>(*value))
                : std::nullopt);
  };
}

// Parses the operations of one frame's payload, calling `op` for each.
bool ParsePayload(std::string_view payload,
                  const std::function<void(std::string_view,
                                           std::optional<std::string_view>)>&
                      op) {
  std::size_t at = 0;
  while (at < payload.size()) {
    if (payload.size() - at < 5) return false;
    const auto kind = static_cast<unsigned char>(payload[at]);
    const std::uint32_t key_size = GetU32(payload.data() + at + 1);
    at += 5;
    if (payload.size() - at < key_size || key_size == 0) return false;
    std::string_view key = payload.substr(at, key_size);
    at += key_size;
    if (kind == kOpErase) {
      op(key, std::nullopt);
      continue;
    }
    if (kind != kOpPut || payload.size() - at < 4) return false;
    const std::uint32_t value_size = GetU32(payload.data() + at);
    at += 4;
    if (payload.size() - at < value_size) return false;
    op(key, payload.substr(at, value_size));
    at += value_size;
  }
  return true;
}

void AppendOp(SecretBytes* out, std::string_view key,
              const std::optional<Value>& value) {
  std::string head;
  head.push_back(static_cast<char>(value.has_value() ? kOpPut : kOpErase));
  PutU32(&head, static_cast<std::uint32_t>(key.size()));
  out->Append(head);
  out->Append(key);
  if (value.has_value()) {
    head.clear();
    PutU32(&head, static_cast<std::uint32_t>((*value)->size()));
    out->Append(head);
    out->Append((*value)->view());
  }
}

// Frames a payload: head, payload, checksum.
SecretBytes Frame(std::string_view lineage, std::uint64_t seq,
                  std::uint32_t flags, const SecretBytes& payload) {
  std::string head;
  PutU32(&head, static_cast<std::uint32_t>(payload.size()));
  PutU32(&head, flags);
  PutU64(&head, seq);
  unsigned char digest[kHashSize];
  Hash({lineage, head, payload.view()}, digest);
  SecretBytes frame;
  frame.Append(head);
  frame.Append(payload.view());
  frame.Append(std::string_view(reinterpret_cast<char*>(digest), kHashSize));
  return frame;
}

std::string CommitBlock(std::string_view lineage, std::uint64_t end,
                        std::uint64_t seq) {
  std::string block;
  PutU64(&block, end);
  PutU64(&block, seq);
  unsigned char digest[kHashSize];
  Hash({lineage, block}, digest);
  block.append(reinterpret_cast<char*>(digest), kHashSize);
  return block;
}

std::string Header(std::string_view lineage, std::uint64_t base_seq) {
  std::string header(kMagic, sizeof(kMagic));
  PutU32(&header, kFormatVersion);
  PutU32(&header, 0);
  header.append(lineage.data(), lineage.size());
  PutU64(&header, base_seq);
  PutU64(&header, 0);
  unsigned char digest[kHashSize];
  Hash({header}, digest);
  header.append(reinterpret_cast<char*>(digest), kHashSize);
  header += CommitBlock(lineage, kHeaderSize, base_seq);
  header.resize(kHeaderSize, '\0');
  return header;
}

Status PreadAll(int fd, char* out, std::size_t size, std::uint64_t offset,
                const std::string& path) {
  std::size_t done = 0;
  int interrupted = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, size - done,
                            static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR && ++interrupted < kMaxEintr) continue;
      return OsError("cannot read", path, errno);
    }
    if (n == 0) {
      return CorruptedError("journal '" + path + "' ends at byte " +
                            std::to_string(offset + done) +
                            " inside its committed part (truncated)");
    }
    done += static_cast<std::size_t>(n);
  }
  return Status();
}

Status PwriteAll(int fd, std::string_view bytes, std::uint64_t offset,
                 const std::string& path) {
  std::size_t done = 0;
  int interrupted = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR && ++interrupted < kMaxEintr) continue;
      return OsError("cannot write", path, errno);
    }
    if (n == 0) {
      return Status(Code::kIoError,
                    "write made no progress for '" + path + "'");
    }
    done += static_cast<std::size_t>(n);
  }
  return Status();
}

// What a parse of frames found.
struct FrameScan {
  std::uint64_t end = 0;  // Offset after the last good frame.
  std::uint64_t seq = 0;  // Its sequence number.
  // Where and why the scan stopped before the requested end.
  std::optional<std::string> stopped;
};

// Parses the frames in `bytes` (which start at file offset `offset`) that
// follow sequence number `seq`, calling `apply` for each operation of each
// good frame. Stops at the first frame that is incomplete, fails its
// checksum or is out of sequence; a frame's operations are applied only
// once the whole frame is known good.
FrameScan ScanFrames(
    std::string_view bytes, std::uint64_t offset, std::uint64_t seq,
    std::string_view lineage,
    const std::function<void(std::string_view,
                             std::optional<std::string_view>)>& apply) {
  FrameScan scan;
  scan.end = offset;
  scan.seq = seq;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::uint64_t here = offset + at;
    if (bytes.size() - at < kFrameOverhead) {
      scan.stopped = "an incomplete frame at byte " + std::to_string(here);
      return scan;
    }
    const std::uint32_t size = GetU32(bytes.data() + at);
    const std::uint64_t frame_seq = GetU64(bytes.data() + at + 8);
    if (size > kMaxPayload || bytes.size() - at - kFrameOverhead < size) {
      scan.stopped = "an incomplete frame at byte " + std::to_string(here);
      return scan;
    }
    std::string_view head = bytes.substr(at, kFrameHead);
    std::string_view payload = bytes.substr(at + kFrameHead, size);
    if (!HashMatches({lineage, head, payload},
                     bytes.data() + at + kFrameHead + size)) {
      scan.stopped =
          "a frame failing its checksum at byte " + std::to_string(here);
      return scan;
    }
    if (frame_seq != scan.seq + 1) {
      scan.stopped = "a frame out of sequence at byte " + std::to_string(here);
      return scan;
    }
    // Checked before any operation is applied.
    if (!ParsePayload(payload, [](std::string_view,
                                  std::optional<std::string_view>) {})) {
      scan.stopped =
          "a malformed frame (checksum good) at byte " + std::to_string(here);
      return scan;
    }
    ParsePayload(payload, apply);
    at += kFrameOverhead + size;
    scan.end = offset + at;
    scan.seq = frame_seq;
  }
  return scan;
}

}  // namespace

bool LooksLikeJournal(std::string_view bytes) {
  return bytes.size() >= sizeof(kMagic) &&
         std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

Result<JournalContents> ParseJournal(
    std::string_view bytes, const std::string& path,
    const std::function<void(std::string_view,
                             std::optional<std::string_view>)>& record,
    bool* may_be_racing) {
  bool racing_unused = false;
  bool& racing = may_be_racing != nullptr ? *may_be_racing : racing_unused;
  racing = false;
  if (bytes.size() < kHeaderSize) {
    return CorruptedError("'" + path + "' is not a tokencache journal (" +
                          std::to_string(bytes.size()) + " bytes)");
  }
  if (!LooksLikeJournal(bytes)) {
    return CorruptedError("'" + path +
                          "' is not a tokencache journal (bad magic)");
  }
  const char* header = bytes.data();
  if (!HashMatches({bytes.substr(0, kStaticHashed)}, header + kStaticHashed)) {
    return CorruptedError("journal '" + path +
                          "' has a header failing its checksum");
  }
  const std::uint32_t version = GetU32(header + 8);
  if (version != kFormatVersion) {
    return Status(Code::kNotSupported,
                  "journal '" + path + "' has format version " +
                      std::to_string(version) + "; this build reads " +
                      std::to_string(kFormatVersion));
  }
  // Reserved: zero, so that no header byte goes unchecked.
  for (std::size_t i = kCommitOffset + kCommitSize; i < kHeaderSize; ++i) {
    if (header[i] != 0) {
      return CorruptedError("journal '" + path +
                            "' has non-zero reserved header bytes");
    }
  }
  JournalContents contents;
  contents.lineage.assign(header + 16, kLineageSize);
  const std::uint64_t base_seq = GetU64(header + 32);
  const char* block = header + kCommitOffset;
  if (!HashMatches({contents.lineage, std::string_view(block, kCommitHashed)},
                   block + kCommitHashed)) {
    racing = true;
    return CorruptedError("journal '" + path +
                          "' has a commit block failing its checksum");
  }
  contents.end = GetU64(block);
  contents.seq = GetU64(block + 8);
  if (contents.end < kHeaderSize || contents.seq < base_seq) {
    return CorruptedError("journal '" + path +
                          "' has an impossible commit block");
  }
  if (contents.end > bytes.size()) {
    racing = true;
    return CorruptedError("journal '" + path + "' is " +
                          std::to_string(bytes.size()) +
                          " bytes but its commit block says " +
                          std::to_string(contents.end) + " (truncated)");
  }
  std::string_view frames =
      bytes.substr(kHeaderSize, contents.end - kHeaderSize);
  // One pass: each frame is checked before its records are passed on, and
  // on an error the caller drops what it was given (both callers fill a
  // fresh map or an uncommitted transaction).
  FrameScan scan =
      ScanFrames(frames, kHeaderSize, base_seq, contents.lineage, record);
  if (scan.stopped || scan.end != contents.end || scan.seq != contents.seq) {
    return CorruptedError(
        "journal '" + path + "' has " +
        scan.stopped.value_or("frames that do not match its commit block") +
        " inside its committed part");
  }
  contents.uncommitted_bytes = bytes.size() - contents.end;
  return contents;
}

namespace {

class Journal {
 public:
  Journal(CacheDirectory dir, std::unique_ptr<Lock> lock,
          JournalStoreOptions options)
      : env_(DefaultFileEnv()),
        dir_(std::move(dir)),
        path_(dir_.dir + "/" + dir_.name),
        temp_prefix_("." + dir_.name + ".tmp."),
        lock_(std::move(lock)),
        options_(options),
        current_(std::make_shared<Records>()) {}

  ~Journal() {
    if (fd_ >= 0) close(fd_);
    close(dir_.fd);
  }

  const std::string& path() const { return path_; }

  // A read snapshot: the records as of the last committed frame.
  struct Snapshot {
    std::shared_ptr<Records> records;
    std::uint64_t generation = 0;
  };

  Result<Snapshot> BeginRead() {
    std::lock_guard<std::mutex> guard(mu_);
    if (Status s = Sync(); !s.ok()) return s;
    if (fd_ >= 0 && seen_size_ == 0) {
      // Bytes past the commit block: a writer mid-commit, or one that
      // stopped there. After a power loss the unsynced commit block may lag
      // behind frames already acknowledged; when no writer holds the lock,
      // publish them now rather than wait for the next write. A try only:
      // a reader never waits for writers.
      Result<std::unique_ptr<LockHandle>> held = lock_->Acquire(
          LockMode::kExclusive, std::chrono::steady_clock::now());
      if (held.ok()) {
        if (Status s = Sync(); !s.ok()) return s;
        // Best effort (the file may be read-only to us): the snapshot is
        // right either way.
        (void)RecoverTail();
      }
    }
    return Take();
  }

  // Takes the writer lock and catches up, keeping a whole frame a dead
  // writer left past the commit block and cutting off a torn one.
  Result<Snapshot> BeginWrite(std::unique_ptr<LockHandle>* handle) {
    Result<std::unique_ptr<LockHandle>> held = lock_->Acquire(
        LockMode::kExclusive,
        std::chrono::steady_clock::now() + options_.lock_timeout);
    if (!held.ok()) return held.status();
    std::lock_guard<std::mutex> guard(mu_);
    if (Status s = Sync(); !s.ok()) return s;
    if (Status s = RecoverTail(); !s.ok()) return s;
    *handle = std::move(*held);
    return Take();
  }

  void Release(const std::shared_ptr<Records>& records) {
    std::lock_guard<std::mutex> guard(mu_);
    --records->users;
  }

  // Appends `changes` as one frame and publishes it. REQUIRES: the writer
  // lock, and `base` (this writer's snapshot, released here) at the
  // current generation.
  Result<std::uint64_t> Commit(const std::shared_ptr<Records>& base,
                               std::uint64_t generation,
                               const Changes& changes) {
    std::lock_guard<std::mutex> guard(mu_);
    --base->users;
    // The lock says no other writer ran; the file must say so too (it may
    // have been removed or replaced behind the lock's back).
    if (seq_ != generation) {
      return Status(Code::kConflict,
                    "the journal moved past the expected generation");
    }
    if (fd_ >= 0) {
      struct stat st;
      if (env_.fstatat(dir_.fd, dir_.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
              0 ||
          st.st_dev != dev_ || st.st_ino != ino_ ||
          static_cast<std::uint64_t>(st.st_size) != end_) {
        return Status(Code::kConflict,
                      "journal '" + path_ + "' changed under the writer lock");
      }
    }
    SecretBytes payload;
    for (const auto& [key, value] : changes) {
      if (key.size() > kMaxPayload ||
          (value.has_value() && (*value)->size() > kMaxPayload)) {
        return Status(Code::kResourceExhausted,
                      "a record is too large for a journal frame");
      }
      AppendOp(&payload, key, value);
    }
    if (payload.size() > kMaxPayload) {
      return Status(Code::kResourceExhausted,
                    "the commit is too large for a journal frame (1 GiB)");
    }
    if (fd_ < 0) {
      if (Status s = Create(); !s.ok()) return s;
    }
    // A compaction's (or creation's) rename is not acknowledged with anything appended to
    // the new file until the directory entry is durable.
    if (dir_sync_pending_) {
      if (env_.fsync(dir_.fd) != 0) {
        return OsError("cannot fsync the directory of", path_, errno);
      }
      dir_sync_pending_ = false;
    }
    const std::uint64_t seq = seq_ + 1;
    SecretBytes frame = Frame(lineage_, seq, 0, payload);
    const std::uint64_t end = end_ + frame.size();
    Status written = PwriteAll(fd_, frame.view(), end_, path_);
    if (written.ok() && fdatasync(fd_) != 0) {
      written = OsError("cannot fdatasync", path_, errno);
    }
    if (written.ok()) written = Publish(end, seq);
    if (!written.ok()) {
      // Not published: readers never saw it. Take it back, so that no
      // later writer or reader keeps a frame we report as failed; if the
      // file cannot be cut, spoil the frame's checksum instead.
      if (ftruncate(fd_, static_cast<off_t>(end_)) != 0 ||
          fdatasync(fd_) != 0) {
        const std::string zeros(kFrameHead, '\0');
        if (PwriteAll(fd_, zeros, end_, path_).ok()) (void)fdatasync(fd_);
      }
      return written;
    }
    end_ = end;
    seq_ = seq;
    seen_size_ = end;
    try {
      Records* target = Writable();
      for (const auto& [key, value] : changes) Apply(target, key, value);
    } catch (...) {
      // Durable and published: the commit stands. Load the file afresh
      // next time instead of trusting a half-applied map.
      close(fd_);
      fd_ = -1;
      ino_ = 0;
      return seq;
    }
    MaybeCompact();
    return seq;
  }

 private:
  Snapshot Take() {
    ++current_->users;
    return Snapshot{current_, seq_};
  }

  // The current records, for a change: copied first when a transaction
  // reads them. REQUIRES: mu_.
  Records* Writable() {
    if (current_->users > 0) {
      auto copy = std::make_shared<Records>();
      copy->map = current_->map;
      copy->bytes = current_->bytes;
      current_ = std::move(copy);
    }
    return current_.get();
  }

  // Catches up with the file: loads it anew when it was replaced, reads
  // the frames committed since the last call otherwise. REQUIRES: mu_.
  Status Sync() {
    struct stat st;
    if (env_.fstatat(dir_.fd, dir_.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
        0) {
      if (errno != ENOENT) return OsError("cannot stat", path_, errno);
      if (fd_ >= 0) {
        // Removed (by `tokencache recover` or a person): empty from now.
        close(fd_);
        fd_ = -1;
        Records* target = Writable();
        target->map.clear();
        target->bytes = 0;
        end_ = 0;
        seen_size_ = 0;
        // A new state needs a new generation.
        ++seq_;
      }
      return Status();
    }
    if (S_ISLNK(st.st_mode)) return SymlinkRefused(path_);
    if (!S_ISREG(st.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "'" + path_ + "' is not a regular file");
    }
    if (fd_ < 0 || st.st_ino != ino_ || st.st_dev != dev_) return Load();
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size == seen_size_) return Status();
    std::uint64_t end = 0;
    std::uint64_t seq = 0;
    if (Status s = ReadCommitBlock(&end, &seq); !s.ok()) return s;
    if (end < end_ || seq < seq_ || (end == end_) != (seq == seq_)) {
      // Not an append to what we read: rewritten in place. Read it whole,
      // which reports it if it is not a journal any more.
      return Load();
    }
    if (end > size) {
      // Published after the stat: look at the size again.
      struct stat now;
      if (env_.fstat(fd_, &now) != 0) {
        return OsError("cannot stat", path_, errno);
      }
      if (static_cast<std::uint64_t>(now.st_size) < end) {
        return Truncated(end, static_cast<std::uint64_t>(now.st_size));
      }
    }
    if (end > end_) {
      SecretBytes bytes;
      bytes.Resize(static_cast<std::size_t>(end - end_));
      if (Status s = PreadAll(fd_, bytes.mutable_data(), bytes.size(), end_,
                              path_);
          !s.ok()) {
        return s;
      }
      // Checked whole before anything is applied.
      FrameScan check = ScanFrames(bytes.view(), end_, seq_, lineage_,
                                   [](std::string_view,
                                      std::optional<std::string_view>) {});
      if (check.stopped || check.end != end || check.seq != seq) {
        return CorruptedError(
            "journal '" + path_ + "' has " +
            check.stopped.value_or("frames that do not match its commit "
                                   "block") +
            " inside its committed part");
      }
      Records* target = Writable();
      ScanFrames(bytes.view(), end_, seq_, lineage_,
                 ApplyingTo(target));
      end_ = end;
      seq_ = seq;
    }
    // While a writer is between its append and its publish, the size runs
    // ahead of the commit block: look again next time. (A size read before
    // a commit that `end` already includes is older still: also again.)
    seen_size_ = end == size ? size : 0;
    return Status();
  }

  Status Truncated(std::uint64_t end, std::uint64_t size) {
    return CorruptedError("journal '" + path_ + "' is " +
                          std::to_string(size) +
                          " bytes but its commit block says " +
                          std::to_string(end) + " (truncated)");
  }

  Status ReadCommitBlock(std::uint64_t* end, std::uint64_t* seq) {
    char block[kCommitSize];
    for (int attempt = 0; attempt < kCommitReadAttempts; ++attempt) {
      if (Status s = PreadAll(fd_, block, sizeof(block), kCommitOffset, path_);
          !s.ok()) {
        return s;
      }
      if (HashMatches({lineage_, std::string_view(block, kCommitHashed)},
                      block + kCommitHashed)) {
        *end = GetU64(block);
        *seq = GetU64(block + 8);
        return Status();
      }
      // A writer may be rewriting it right now.
      std::this_thread::yield();
    }
    return CorruptedError("journal '" + path_ +
                          "' has a commit block failing its checksum");
  }

  // Opens and reads the file at the path whole; on success it becomes the
  // current file. On failure nothing changes.
  Status Load() {
    int fd = env_.openat(dir_.fd, dir_.name.c_str(),
                         O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0 && errno == EACCES) {
      fd = env_.openat(dir_.fd, dir_.name.c_str(),
                       O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    }
    if (fd < 0) {
      if (errno == ELOOP) return SymlinkRefused(path_);
      return OsError("cannot open", path_, errno);
    }
    // A writer may append and publish while the file is read: a commit
    // block torn or past the bytes read is read again, and only a failure
    // that persists is corruption.
    Status s;
    for (int attempt = 0; attempt < kCommitReadAttempts; ++attempt) {
      bool racing = false;
      s = LoadFrom(fd, &racing);
      if (!racing) break;
      std::this_thread::yield();
    }
    if (!s.ok()) close(fd);
    return s;
  }

  Status LoadFrom(int fd, bool* racing) {
    struct stat st;
    if (env_.fstat(fd, &st) != 0) return OsError("cannot stat", path_, errno);
    if (!S_ISREG(st.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "'" + path_ + "' is not a regular file");
    }
    // The commit block first, then the frames up to the end it names:
    // frames before a published end never change, so the two reads agree
    // however many commits land meanwhile. (Reading the file whole at a
    // size taken first would meet a commit block published after it.)
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t header_bytes = std::min<std::uint64_t>(size, kHeaderSize);
    SecretBytes bytes;
    bytes.Resize(static_cast<std::size_t>(header_bytes));
    if (Status s = PreadAll(fd, bytes.mutable_data(), bytes.size(), 0, path_);
        !s.ok()) {
      return s;
    }
    if (header_bytes == kHeaderSize) {
      const std::uint64_t end = GetU64(bytes.data() + kCommitOffset);
      if (env_.fstat(fd, &st) != 0) {
        return OsError("cannot stat", path_, errno);
      }
      size = static_cast<std::uint64_t>(st.st_size);
      // A wrong `end` (damage) is reported by ParseJournal; read no more
      // than the file holds.
      const std::uint64_t upto =
          std::max<std::uint64_t>(kHeaderSize, std::min(end, size));
      bytes.Resize(static_cast<std::size_t>(upto));
      if (Status s = PreadAll(fd, bytes.mutable_data() + kHeaderSize,
                              bytes.size() - kHeaderSize, kHeaderSize, path_);
          !s.ok()) {
        return s;
      }
    }
    auto records = std::make_shared<Records>();
    Result<JournalContents> contents = ParseJournal(
        bytes.view(), path_,
        ApplyingTo(records.get()), racing);
    if (!contents.ok()) return contents.status();
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    lineage_ = std::move(contents->lineage);
    end_ = contents->end;
    seq_ = contents->seq;
    seen_size_ = end_ == size ? size : 0;
    current_ = std::move(records);
    return Status();
  }

  // Under the writer lock: frames past the commit block are a dead
  // writer's. Whole ones are made durable and published; the rest is cut
  // off. REQUIRES: mu_.
  Status RecoverTail() {
    if (fd_ < 0) return Status();
    struct stat st;
    if (env_.fstat(fd_, &st) != 0) return OsError("cannot stat", path_, errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size <= end_) return Status();
    // Frame by frame, each read only once its head says it fits: a huge or
    // sparse tail costs no more memory than its valid frames.
    std::vector<std::pair<std::uint64_t, SecretBytes>> kept;
    std::uint64_t pos = end_;
    std::uint64_t seq = seq_;
    while (size - pos >= kFrameOverhead) {
      char head[kFrameHead];
      if (Status s = PreadAll(fd_, head, sizeof(head), pos, path_); !s.ok()) {
        return s;
      }
      const std::uint32_t length = GetU32(head);
      if (length > kMaxPayload || size - pos - kFrameOverhead < length) break;
      SecretBytes frame;
      frame.Resize(kFrameOverhead + length);
      if (Status s =
              PreadAll(fd_, frame.mutable_data(), frame.size(), pos, path_);
          !s.ok()) {
        return s;
      }
      FrameScan one = ScanFrames(
          frame.view(), pos, seq, lineage_,
          [](std::string_view, std::optional<std::string_view>) {});
      if (one.stopped || one.end != pos + frame.size()) break;
      kept.emplace_back(pos, std::move(frame));
      pos = one.end;
      seq = one.seq;
    }
    if (!kept.empty()) {
      if (fdatasync(fd_) != 0) {
        return OsError("cannot fdatasync", path_, errno);
      }
      if (Status s = Publish(pos, seq); !s.ok()) return s;
      Records* target = Writable();
      std::uint64_t at_seq = seq_;
      for (const auto& [at, frame] : kept) {
        at_seq = ScanFrames(frame.view(), at, at_seq, lineage_,
                            ApplyingTo(target))
                     .seq;
      }
      end_ = pos;
      seq_ = seq;
    }
    if (size > end_) {
      if (ftruncate(fd_, static_cast<off_t>(end_)) != 0 ||
          fdatasync(fd_) != 0) {
        return OsError("cannot cut a torn frame off", path_, errno);
      }
    }
    seen_size_ = end_;
    return Status();
  }

  Status Publish(std::uint64_t end, std::uint64_t seq) {
    return PwriteAll(fd_, CommitBlock(lineage_, end, seq), kCommitOffset,
                     path_);
  }

  // Writes `header_and_frames` to a temp file, fsyncs it and renames it to
  // the journal (replacing it when `replace`), then fsyncs the directory
  // and makes it the current file (its contents are current_). REQUIRES:
  // mu_ and the writer lock.
  Status Install(std::string_view header, const SecretBytes& frames,
                 std::uint64_t end, std::uint64_t seq, std::string lineage,
                 bool replace) {
    CleanTemps(env_, dir_.fd, temp_prefix_);
    std::string temp;
    Result<int> created = CreateTemp(env_, dir_.fd, temp_prefix_, path_, &temp);
    if (!created.ok()) return created.status();
    const int fd = *created;
    auto fail = [&](Status status) {
      close(fd);
      env_.unlinkat(dir_.fd, temp.c_str(), 0);
      ReleaseTemp(temp);
      return status;
    };
    if (Status s = PwriteAll(fd, header, 0, path_); !s.ok()) return fail(s);
    if (Status s = PwriteAll(fd, frames.view(), kHeaderSize, path_); !s.ok()) {
      return fail(s);
    }
    if (env_.fsync(fd) != 0) {
      return fail(OsError("cannot fsync temp file for", path_, errno));
    }
    int renamed = 0;
    if (replace) {
      renamed = env_.renameat(dir_.fd, temp.c_str(), dir_.fd,
                              dir_.name.c_str());
    } else {
      // Never over a journal someone else made meanwhile.
      renamed = renameat2(dir_.fd, temp.c_str(), dir_.fd, dir_.name.c_str(),
                          RENAME_NOREPLACE);
    }
    if (renamed != 0) {
      if (errno == EEXIST) {
        return fail(Status(Code::kConflict,
                           "journal '" + path_ + "' appeared meanwhile"));
      }
      return fail(OsError("cannot rename temp file over", path_, errno));
    }
    close(fd);
    ReleaseTemp(temp);
    // The rename is done: whatever happens next, the path names the new
    // file. Until its directory entry is durable, no commit appended to it
    // is acknowledged (Commit retries the fsync first).
    if (env_.fsync(dir_.fd) != 0) dir_sync_pending_ = true;
    // The temp was write-only: open the installed file for reading too,
    // and make sure it is the one we wrote.
    const int installed = env_.openat(dir_.fd, dir_.name.c_str(),
                                      O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
    if (installed < 0) return OsError("cannot open", path_, errno);
    struct stat st;
    if (env_.fstat(installed, &st) != 0 ||
        static_cast<std::uint64_t>(st.st_size) != end) {
      close(installed);
      return Status(Code::kIoError,
                    "journal '" + path_ + "' changed while it was installed");
    }
    if (fd_ >= 0) close(fd_);
    fd_ = installed;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    lineage_ = std::move(lineage);
    end_ = end;
    seq_ = seq;
    seen_size_ = end;
    return Status();
  }

  // A new, empty journal. Its numbers start at the current time in
  // microseconds, past those of a journal that was removed.
  Status Create() {
    unsigned char random[kLineageSize];
    randombytes_buf(random, sizeof(random));
    std::string lineage(reinterpret_cast<char*>(random), sizeof(random));
    const auto now_us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    const std::uint64_t base = std::max(seq_ + 1, now_us);
    Status s = Install(Header(lineage, base), SecretBytes(), kHeaderSize,
                       base, lineage, /*replace=*/false);
    if (!s.ok()) return s;
    // The records are empty: the file was absent when this writer began.
    return Status();
  }

  // Rewrites the journal as one snapshot frame when its frames are mostly
  // history. Best effort: a failure leaves the journal as it is, and the
  // next commit tries again. REQUIRES: mu_ and the writer lock.
  void MaybeCompact() {
    const std::uint64_t frames = end_ - kHeaderSize;
    if (frames < options_.compact_bytes || frames < 2 * current_->bytes) {
      return;
    }
    SecretBytes payload;
    for (const auto& [key, value] : current_->map) {
      AppendOp(&payload, key, value);
    }
    // Too big for one frame: keep the history rather than write a file no
    // process could read back.
    if (payload.size() > kMaxPayload) return;
    SecretBytes frame = Frame(lineage_, seq_, kSnapshotFrame, payload);
    const std::uint64_t end = kHeaderSize + frame.size();
    std::string header = Header(lineage_, seq_ - 1);
    header.replace(kCommitOffset, kCommitSize,
                   CommitBlock(lineage_, end, seq_));
    (void)Install(header, frame, end, seq_, lineage_, /*replace=*/true);
  }

  const FileEnv& env_;
  const CacheDirectory dir_;
  const std::string path_;
  const std::string temp_prefix_;
  const std::unique_ptr<Lock> lock_;
  const JournalStoreOptions options_;

  std::mutex mu_;
  // All below guarded by mu_.
  int fd_ = -1;  // The journal file read so far; -1 while there is none.
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::string lineage_;
  std::uint64_t end_ = 0;  // Offset after the last frame read.
  std::uint64_t seq_ = 0;  // Its sequence number: the generation.
  // The file size when end_ was the whole file; Sync does nothing while
  // the size stays the same.
  std::uint64_t seen_size_ = 0;
  std::shared_ptr<Records> current_;
  // A compaction renamed but could not fsync the directory.
  bool dir_sync_pending_ = false;
};

class JournalTransaction final : public RecordTransaction {
 public:
  JournalTransaction(std::shared_ptr<Journal> journal,
                     Journal::Snapshot snapshot,
                     std::unique_ptr<LockHandle> writer)
      : RecordTransaction(writer != nullptr, snapshot.generation),
        journal_(std::move(journal)),
        base_(std::move(snapshot.records)),
        writer_(std::move(writer)) {}

  ~JournalTransaction() override {
    if (base_ != nullptr) journal_->Release(base_);
  }

 protected:
  std::string_view StoreName() const override { return "file-journal"; }

  Result<std::optional<SecretBytes>> DoGet(std::string_view key) override {
    if (base_ == nullptr) return Ended();
    auto changed = changes_.find(key);
    if (changed != changes_.end()) {
      if (!changed->second.has_value()) return std::optional<SecretBytes>();
      return std::optional<SecretBytes>(**changed->second);
    }
    auto it = base_->map.find(key);
    if (it == base_->map.end()) return std::optional<SecretBytes>();
    return std::optional<SecretBytes>(*it->second);
  }

  Status DoScan(std::string_view prefix, const RecordScanFn& fn) override {
    if (base_ == nullptr) return Ended();
    auto starts = [&](const std::string& key) {
      return key.compare(0, prefix.size(), prefix) == 0;
    };
    auto base = base_->map.lower_bound(prefix);
    auto changed = changes_.lower_bound(prefix);
    // Merges the snapshot with this transaction's changes, in key order.
    while (true) {
      const bool have_base = base != base_->map.end() && starts(base->first);
      const bool have_changed =
          changed != changes_.end() && starts(changed->first);
      if (!have_base && !have_changed) return Status();
      if (have_changed && (!have_base || changed->first <= base->first)) {
        if (have_base && changed->first == base->first) ++base;
        const auto& value = changed->second;
        const std::string& key = changed->first;
        ++changed;
        if (value.has_value() && !fn(key, (*value)->view())) return Status();
        continue;
      }
      if (!fn(base->first, base->second->view())) return Status();
      ++base;
    }
  }

  Status DoPut(std::string_view key, std::string_view value) override {
    if (base_ == nullptr) return Ended();
    changes_[std::string(key)] = std::make_shared<SecretBytes>(value);
    return Status();
  }

  Status DoErase(std::string_view key) override {
    if (base_ == nullptr) return Ended();
    changes_[std::string(key)] = std::nullopt;
    return Status();
  }

  Result<std::uint64_t> DoCommit(std::uint64_t expected) override {
    if (base_ == nullptr) return Ended();
    std::shared_ptr<Records> base = std::move(base_);
    base_ = nullptr;
    if (expected != generation()) {
      journal_->Release(base);
      writer_.reset();
      return Status(Code::kConflict,
                    "the store moved past the expected generation");
    }
    // Drop changes that change nothing, so that a no-op commit writes no
    // frame and keeps the generation.
    for (auto it = changes_.begin(); it != changes_.end();) {
      auto stored = base->map.find(it->first);
      const bool same =
          it->second.has_value()
              ? stored != base->map.end() &&
                    stored->second->Equals(*(*it->second))
              : stored == base->map.end();
      it = same ? changes_.erase(it) : std::next(it);
    }
    if (changes_.empty()) {
      journal_->Release(base);
      writer_.reset();
      return generation();
    }
    Result<std::uint64_t> committed =
        journal_->Commit(base, generation(), changes_);
    changes_.clear();
    writer_.reset();
    return committed;
  }

 private:
  Status Ended() const {
    return InvalidArgumentError("the transaction has ended");
  }

  std::shared_ptr<Journal> journal_;
  std::shared_ptr<Records> base_;  // The snapshot; null once committed.
  std::unique_ptr<LockHandle> writer_;
  Changes changes_;
};

class JournalStore final : public RecordStore {
 public:
  explicit JournalStore(std::shared_ptr<Journal> journal)
      : journal_(std::move(journal)) {}
  std::string_view Name() const override { return "file-journal"; }

 protected:
  Result<std::unique_ptr<RecordTransaction>> DoBegin(bool writable) override {
    std::unique_ptr<LockHandle> writer;
    Result<Journal::Snapshot> snapshot =
        writable ? journal_->BeginWrite(&writer) : journal_->BeginRead();
    if (!snapshot.ok()) return snapshot.status();
    return std::unique_ptr<RecordTransaction>(new JournalTransaction(
        journal_, std::move(*snapshot), std::move(writer)));
  }

 private:
  std::shared_ptr<Journal> journal_;
};

}  // namespace
}  // namespace internal

Result<std::unique_ptr<RecordStore>> FileJournalStore::Open(
    const std::filesystem::path& path, const JournalStoreOptions& options) {
  if (sodium_init() < 0) {
    return InternalError("file-journal: libsodium did not start");
  }
  const internal::FileEnv& env = internal::DefaultFileEnv();
  Result<internal::CacheDirectory> dir = internal::OpenCacheDirectory(
      path, options.refuse_network_fs, options.create_parent_directories,
      env);
  if (!dir.ok()) return dir.status();
  const std::string full = dir->dir + "/" + dir->name;
  Result<std::unique_ptr<Lock>> lock = NewFileLock(full + ".lock");
  if (!lock.ok()) {
    close(dir->fd);
    return lock.status();
  }
  auto journal = std::make_shared<internal::Journal>(
      std::move(*dir), std::move(*lock), options);
  // Loads the journal now, so that a corrupt one is reported by Open.
  Result<internal::Journal::Snapshot> first = journal->BeginRead();
  if (!first.ok()) return first.status();
  journal->Release(first->records);
  return std::unique_ptr<RecordStore>(
      new internal::JournalStore(std::move(journal)));
}

}  // namespace tokencache
