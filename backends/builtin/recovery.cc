// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// VerifyCache and RecoverCache (include/tokencache/recovery.h) for the file
// scheme. The URI is read with the same rules as the file factory in
// builtin_backends.cc (path, format, key, cache-id, lock), so the verdict
// is the one OpenCache would reach. Verification reads the file itself
// instead of going through FileBlobStore::Open, because opening a store
// creates directories and removes stale temp files, and a check must not
// write anything; the bytes are then decrypted and parsed by the real
// stack (encrypting decorator, serializer, Cache::Open) over a read-only
// in-memory BlobStore.

#include "tokencache/recovery.h"

#if !defined(_WIN32)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "backends/file/journal_format.h"
#include "backends/memory/memory_record_store.h"
#include "tokencache/blob_store.h"
#include "tokencache/cache.h"
#include "tokencache/cipher.h"
#include "tokencache/file_lock.h"
#include "tokencache/key_source.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/binary_record_codec.h"
#include "tokencache/serializers/json.h"
#include "tokencache/uri.h"

namespace tokencache {

#if defined(_WIN32)

Result<VerifyReport> VerifyCache(std::string_view) {
  return Status(Code::kNotSupported, "verify: file caches are POSIX only");
}

Result<RecoverReport> RecoverCache(std::string_view, const RecoverOptions&) {
  return Status(Code::kNotSupported, "recover: file caches are POSIX only");
}

#else  // !defined(_WIN32)

namespace {

// How often a read is retried when the file changes while being read (a
// foreign writer that writes in place, as MSAL apps do).
constexpr int kReadAttempts = 4;

// Everything the file factory derives from a URI.
struct FileTarget {
  std::string path;  // Absolute, lexically normal.
  std::string dir;
  std::string name;
  std::string format;  // "msal-json", "binary" or "journal".
  std::optional<std::string> key_spec;
  std::string cache_id;
  std::string lock_mode;  // "file", "msal" or "none".
};

Result<FileTarget> ParseTarget(std::string_view text) {
  Result<CacheUri> uri = ParseCacheUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "file") {
    return Status(Code::kNotSupported,
                  "verify and recover support file caches only, not '" +
                      uri->scheme + "'");
  }
  Status s =
      uri->CheckOptions({"format", "lock", "key", "cache-id", "fallback"});
  if (!s.ok()) return s;
  if (!uri->authority.empty() && uri->authority != "localhost") {
    return InvalidArgumentError(
        "file cache URI: remote hosts are not supported; write "
        "file:///absolute/path");
  }
  std::filesystem::path path(uri->path);
  if (!path.is_absolute() || !path.has_filename()) {
    return InvalidArgumentError(
        "file cache URI needs an absolute file path, e.g. "
        "file:///home/u/.cache/app/msal_cache.json");
  }
  path = path.lexically_normal();
  FileTarget target;
  target.path = path.string();
  target.dir = path.parent_path().string();
  target.name = path.filename().string();
  target.format = uri->Option("format").value_or("msal-json");
  if (target.format == "json") target.format = "msal-json";
  if (target.format != "msal-json" && target.format != "binary" &&
      target.format != "journal") {
    return InvalidArgumentError(
        "file cache URI: format must be msal-json, binary or journal");
  }
  target.key_spec = uri->Option("key");
  if (!target.key_spec.has_value() && (uri->Option("cache-id").has_value() ||
                                       uri->Option("fallback").has_value())) {
    return InvalidArgumentError(
        "file cache URI: cache-id and fallback only apply together with key");
  }
  target.cache_id = uri->Option("cache-id").value_or(target.path);
  target.lock_mode = uri->Option("lock").value_or("file");
  if (target.format == "journal" && target.lock_mode != "file") {
    return InvalidArgumentError(
        "file cache URI: format=journal always uses its own lock file; "
        "lock=" + target.lock_mode + " is not possible");
  }
  if (target.lock_mode != "file" && target.lock_mode != "msal" &&
      target.lock_mode != "none") {
    return InvalidArgumentError(
        "file cache URI: lock must be file, msal or none");
  }
  return target;
}

// The Cipher of the URI's key, obtained without creating anything: a
// missing key file is kNotFound here, where OpenCache would create one
// (and then fail to open the cache sealed under the lost key anyway).
Result<std::shared_ptr<const Cipher>> CipherFor(const std::string& spec) {
  Result<std::unique_ptr<KeySource>> source =
      Status(Code::kInternal, "no key source");
  if (spec.rfind("file:", 0) == 0) {
    std::string path = spec.substr(5);
    if (path.rfind("///", 0) == 0) {
      path.erase(0, 2);
    } else if (path.rfind("//", 0) == 0) {
      return InvalidArgumentError(
          "key=file: takes a local absolute path: file:/path or "
          "file:///path");
    }
    KeyFileOptions options;
    options.create_if_missing = false;
    source = NewKeyFileKeySource(path, options);
  } else if (spec == "keychain" || spec.rfind("keychain:", 0) == 0) {
    // Reading a keychain key creates one when the item is missing, and a
    // check must not write.
    return Status(Code::kNotSupported,
                  "verify and recover do not support keys held in the "
                  "keychain");
  } else {
    source = KeySourceFromSpec(spec);
  }
  if (!source.ok()) return source.status();
  return (*source)->GetCipher();
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) close(fd_);
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status OsError(const std::string& what, const std::string& path, int err) {
  if (err == ELOOP) {
    return Status(Code::kPermissionDenied,
                  what + " '" + path + "': symlink refused", err);
  }
  Code code = Code::kIoError;
  if (err == EACCES || err == EPERM) code = Code::kPermissionDenied;
  if (err == ENOENT) code = Code::kNotFound;
  return Status(code, what + " '" + path + "': " + std::strerror(err), err);
}

// Opens the cache's directory without following a symlink in its last
// component (as FileBlobStore does). Returns an invalid Fd (and OK) when
// the directory does not exist.
Result<Fd> OpenDirectory(const FileTarget& target) {
  int fd =
      open(target.dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return Fd(fd);
  const int err = errno;
  if (err == ENOENT) return Fd();
  struct stat st;
  if (err == ELOOP || (err == ENOTDIR && lstat(target.dir.c_str(), &st) == 0 &&
                       S_ISLNK(st.st_mode))) {
    return Status(Code::kPermissionDenied,
                  "symlink refused at cache directory '" + target.dir + "'",
                  ELOOP);
  }
  return OsError("cannot open directory", target.dir, err);
}

bool SameState(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
         a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
         a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// The cache file, read whole while it did not change, with its descriptor
// kept open (recovery sets the mode through it).
struct StoredFile {
  Fd fd;
  SecretBytes bytes;
};

// Reads `target` in `dir_fd`. Returns nullopt when there is no file.
Result<std::optional<StoredFile>> ReadStable(int dir_fd,
                                             const FileTarget& target) {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    Fd fd(openat(dir_fd, target.name.c_str(),
                 O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
      if (errno == ENOENT) return std::optional<StoredFile>();
      return OsError("cannot open", target.path, errno);
    }
    struct stat before;
    if (fstat(fd.get(), &before) != 0) {
      return OsError("cannot stat", target.path, errno);
    }
    if (!S_ISREG(before.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "'" + target.path + "' is not a regular file");
    }
    StoredFile file;
    std::size_t capacity = static_cast<std::size_t>(before.st_size) + 1;
    file.bytes.Resize(capacity);
    std::size_t total = 0;
    while (true) {
      ssize_t n =
          read(fd.get(), file.bytes.mutable_data() + total, capacity - total);
      if (n < 0) {
        if (errno == EINTR) continue;
        return OsError("cannot read", target.path, errno);
      }
      if (n == 0) break;
      total += static_cast<std::size_t>(n);
      if (total == capacity) {
        capacity *= 2;
        file.bytes.Resize(capacity);
      }
    }
    file.bytes.Resize(total);
    struct stat after;
    if (fstat(fd.get(), &after) != 0) {
      return OsError("cannot stat", target.path, errno);
    }
    // A journal only grows by appends between compactions (which replace
    // the inode): what was read is a prefix of it, as good as any. The
    // parse rereads when a commit landed midway (JudgeJournal).
    const bool appended = target.format == "journal" &&
                          before.st_dev == after.st_dev &&
                          before.st_ino == after.st_ino &&
                          total >= static_cast<std::size_t>(before.st_size);
    if (appended || (SameState(before, after) &&
                     total == static_cast<std::size_t>(before.st_size))) {
      file.fd = std::move(fd);
      return std::optional<StoredFile>(std::move(file));
    }
  }
  return Status(Code::kUnavailable,
                "'" + target.path + "' kept changing while being read");
}

// A BlobStore that holds given bytes and refuses to write, so that the
// real decrypt-and-load path (Cache::Open) can judge them without any
// chance of writing to the file.
class BytesBlobStore final : public BlobStore {
 public:
  explicit BytesBlobStore(std::string_view bytes) {
    blob_.bytes = SecretBytes(bytes);
    blob_.version.opaque = "verify";
  }
  std::string_view Name() const override { return "verify"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    Blob copy;
    copy.bytes = SecretBytes(blob_.bytes.view());
    copy.version = blob_.version;
    return std::optional<Blob>(std::move(copy));
  }
  Result<BlobVersion> DoPeekVersion() override { return blob_.version; }
  Result<BlobVersion> DoWrite(std::string_view,
                              const std::optional<BlobVersion>&) override {
    return Status(Code::kPermissionDenied, "verification never writes");
  }

 private:
  Blob blob_;
};

std::unique_ptr<Serializer> SerializerNamed(const std::string& format) {
  if (format == "binary") return NewBinarySerializer();
  return NewMsalJsonSerializer();
}

bool IsVerdict(Code code) {
  return code == Code::kCorrupted || code == Code::kWrongKey ||
         code == Code::kNotSupported;
}

bool OnlyWhiteSpace(std::string_view bytes) {
  return bytes.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void FillCounts(const CacheSnapshot& snapshot, VerifyReport* report) {
  report->counts.accounts = snapshot.accounts.size();
  report->counts.access_tokens = snapshot.access_tokens.size();
  report->counts.refresh_tokens = snapshot.refresh_tokens.size();
  report->counts.id_tokens = snapshot.id_tokens.size();
  report->counts.app_metadata = snapshot.app_metadata.size();
  report->counts.unknown_sections = snapshot.unknown_sections.size();
}

// Judge() for format=journal: the committed records are replayed into a
// memory record store, and the cache over it (decrypting each record when
// keyed) must export whole.
Status JudgeJournal(const FileTarget& target, std::string_view bytes,
                    std::shared_ptr<const Cipher> cipher,
                    VerifyReport* report, bool* racing) {
  auto records = std::make_unique<MemoryRecordStore>();
  Result<std::unique_ptr<RecordTransaction>> txn = records->BeginWrite();
  if (!txn.ok()) return txn.status();
  Status replay;
  Result<internal::JournalContents> contents = internal::ParseJournal(
      bytes, target.path,
      [&](std::string_view key, std::optional<std::string_view> value) {
        if (!replay.ok()) return;
        replay = value ? (*txn)->Put(key, *value) : (*txn)->Erase(key);
      },
      racing);
  if (!contents.ok()) {
    if (!IsVerdict(contents.status().code())) return contents.status();
    report->code = contents.status().code();
    report->detail = contents.status().message();
    return Status();
  }
  if (!replay.ok()) return replay;
  if (Result<std::uint64_t> done = (*txn)->Commit(); !done.ok()) {
    return done.status();
  }
  txn->reset();
  std::unique_ptr<RecordStore> store = std::move(records);
  if (cipher != nullptr) {
    store = NewEncryptedRecordStore(std::move(store), std::move(cipher),
                                    target.cache_id);
  }
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::move(store), NewBinaryRecordCodec());
  Result<CacheSnapshot> snapshot =
      cache.ok() ? (*cache)->Export() : Result<CacheSnapshot>(cache.status());
  if (!snapshot.ok()) {
    if (!IsVerdict(snapshot.status().code())) return snapshot.status();
    report->code = snapshot.status().code();
    report->detail = snapshot.status().message();
    return Status();
  }
  report->code = Code::kOk;
  FillCounts(*snapshot, report);
  if (contents->uncommitted_bytes > 0) {
    report->detail = std::to_string(contents->uncommitted_bytes) +
                     " bytes past the last commit: a writer stopped "
                     "mid-commit; the next writer keeps a whole frame and "
                     "cuts off a torn one";
  }
  return Status();
}

// Fills the verdict part of `report` for the stored `bytes`. Returns an
// error only when the check itself failed (no key, out of memory).
Status Judge(const FileTarget& target, std::string_view bytes,
             VerifyReport* report, bool* racing) {
  *racing = false;
  std::shared_ptr<const Cipher> cipher;
  if (target.key_spec.has_value()) {
    Result<std::shared_ptr<const Cipher>> got = CipherFor(*target.key_spec);
    if (!got.ok()) return got.status().WithContext("key");
    cipher = std::move(*got);
  }
  if (target.format == "journal") {
    return JudgeJournal(target, bytes, std::move(cipher), report, racing);
  }
  // The serializers read blank input as an empty cache, which is right for
  // a new MSAL JSON file; our binary writer never writes one (an empty
  // cache is a bare checksummed envelope), so a blank binary file is a
  // truncation.
  if (cipher == nullptr && target.format == "binary" && OnlyWhiteSpace(bytes)) {
    report->code = Code::kCorrupted;
    report->detail =
        "binary snapshot: the file is empty (truncated); tokencache never "
        "writes an empty binary cache";
    return Status();
  }
  std::unique_ptr<BlobStore> store = std::make_unique<BytesBlobStore>(bytes);
  if (cipher != nullptr) {
    store = NewEncryptedBlobStore(std::move(store), cipher, target.cache_id);
  }
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::move(store), SerializerNamed(target.format), nullptr);
  if (!cache.ok()) {
    if (!IsVerdict(cache.status().code())) return cache.status();
    report->code = cache.status().code();
    report->detail = cache.status().message();
  } else {
    Result<CacheSnapshot> snapshot = (*cache)->Export();
    if (!snapshot.ok()) return snapshot.status();
    report->code = Code::kOk;
    FillCounts(*snapshot, report);
    return Status();
  }
  if (report->code != Code::kCorrupted) return Status();
  // Unreadable: say so when the URI most likely names the wrong format or
  // has a key too many or too few, since recovering would then set aside a
  // cache that is fine.
  if (cipher != nullptr) {
    // A key was added to the URI of an existing unencrypted cache.
    if (!InspectEnvelope(bytes).ok() && !OnlyWhiteSpace(bytes) &&
        SerializerNamed(target.format)->Deserialize(bytes).ok()) {
      report->readable_as = "without key";
      report->detail +=
          " (the file is an unencrypted cache: it reads fine without key)";
    }
    return Status();
  }
  if (internal::LooksLikeJournal(bytes)) {
    report->readable_as = "format=journal";
    report->detail += " (the file is a tokencache journal: use format=journal)";
    return Status();
  }
  if (InspectEnvelope(bytes).ok()) {
    report->code = Code::kWrongKey;
    report->detail =
        "the file is an encrypted tokencache envelope but the URI gives no "
        "key (add key=...)";
    return Status();
  }
  const std::string other = target.format == "binary" ? "msal-json" : "binary";
  if (!OnlyWhiteSpace(bytes) &&
      (other != "binary" || IsBinarySnapshot(bytes)) &&
      SerializerNamed(other)->Deserialize(bytes).ok()) {
    report->readable_as = "format=" + other;
    report->detail += " (the file reads fine as format=" + other + ")";
  }
  return Status();
}

// Reads and judges the file of `target` in `dir_fd` (invalid: no
// directory). `kept` receives the open file when there is one.
Result<VerifyReport> VerifyIn(const FileTarget& target, int dir_fd,
                              std::optional<StoredFile>* kept) {
  VerifyReport report;
  report.path = target.path;
  report.format = target.format;
  report.encrypted = target.key_spec.has_value();
  if (dir_fd < 0) return report;
  for (int attempt = 0;; ++attempt) {
    Result<std::optional<StoredFile>> file = ReadStable(dir_fd, target);
    if (!file.ok()) return file.status();
    if (!file->has_value()) return report;
    VerifyReport judged = report;
    judged.exists = true;
    judged.bytes = (*file)->bytes.size();
    bool racing = false;
    Status s = Judge(target, (*file)->bytes.view(), &judged, &racing);
    if (!s.ok()) return s;
    // A journal commit published while the file was read: read again.
    if (racing && attempt + 1 < kReadAttempts) continue;
    if (kept != nullptr) *kept = std::move(*file);
    return judged;
  }
}

std::string DefaultQuarantineName(const std::string& name) {
  char stamp[32] = "";
  std::time_t now = std::time(nullptr);
  struct tm utc;
  if (gmtime_r(&now, &utc) != nullptr) {
    std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &utc);
  }
  unsigned char random[8] = {};
  std::size_t filled = 0;
  while (filled < sizeof(random)) {
    ssize_t n = getrandom(random + filled, sizeof(random) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Only the uniqueness of the name depends on this, and the rename
      // below never replaces an existing file; fall back to the clock.
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      std::uint64_t mix = static_cast<std::uint64_t>(ts.tv_nsec) ^
                          (static_cast<std::uint64_t>(getpid()) << 32);
      std::memcpy(random, &mix, sizeof(random));
      break;
    }
    filled += static_cast<std::size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : random) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xf]);
  }
  return name + ".corrupt-" + stamp + "-" + hex;
}

// Renames `from` to `to` in `dir_fd` unless `to` exists (as anything,
// a symlink included). Returns 0, or -1 with errno (EEXIST when taken).
int RenameNoReplace(int dir_fd, const char* from, const char* to) {
  if (renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // A file system without RENAME_NOREPLACE: link() never replaces and
  // never follows a symlink at either name; then drop the old name.
  if (linkat(dir_fd, from, dir_fd, to, 0) != 0) return -1;
  if (unlinkat(dir_fd, from, 0) != 0) {
    const int err = errno;
    unlinkat(dir_fd, to, 0);
    errno = err;
    return -1;
  }
  return 0;
}

bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

Result<VerifyReport> VerifyCache(std::string_view uri) {
  Result<FileTarget> target = ParseTarget(uri);
  if (!target.ok()) return target.status();
  Result<Fd> dir = OpenDirectory(*target);
  if (!dir.ok()) return dir.status();
  return VerifyIn(*target, dir->get(), nullptr);
}

Result<RecoverReport> RecoverCache(std::string_view uri,
                                   const RecoverOptions& options) {
  Result<FileTarget> target = ParseTarget(uri);
  if (!target.ok()) return target.status();
  if (!options.quarantine_name.empty() &&
      (!IsPlainName(options.quarantine_name) ||
       options.quarantine_name == target->name)) {
    return InvalidArgumentError(
        "recover: the quarantine name must be a plain file name other than "
        "the cache's");
  }

  // The same lock the file factory takes, so no writer of this cache runs
  // between the verdict and the rename.
  std::unique_ptr<Lock> lock;
  std::unique_ptr<LockHandle> held;
  if (target->lock_mode != "none") {
    FileLockOptions lock_options;
    if (target->lock_mode == "msal") {
      lock_options.msal_lockfile_interop = true;
      lock_options.msal_lockfile = target->path + ".lockfile";
    }
    Result<std::unique_ptr<Lock>> opened =
        NewFileLock(target->path + ".lock", lock_options);
    if (!opened.ok()) return opened.status();
    lock = std::move(*opened);
    Result<std::unique_ptr<LockHandle>> acquired =
        lock->Acquire(LockMode::kExclusive,
                      std::chrono::steady_clock::now() + options.lock_timeout);
    if (!acquired.ok()) return acquired.status();
    held = std::move(*acquired);
  }

  Result<Fd> dir = OpenDirectory(*target);
  if (!dir.ok()) return dir.status();
  std::optional<StoredFile> file;
  Result<VerifyReport> found = VerifyIn(*target, dir->get(), &file);
  if (!found.ok()) return found.status();
  if (!found->exists || !file.has_value()) {
    return NotFoundError("recover: no cache file at '" + target->path +
                         "'; nothing to recover");
  }
  const Code code = found->code;
  if (code == Code::kOk && !options.force) {
    return InvalidArgumentError(
        "recover: '" + target->path +
        "' verifies OK; nothing to recover (force to quarantine anyway)");
  }
  if (code == Code::kCorrupted && !found->readable_as.empty() &&
      !options.force) {
    return InvalidArgumentError("recover: '" + target->path +
                                "' reads fine as " + found->readable_as +
                                "; fix the URI (or force to quarantine)");
  }
  if ((code == Code::kWrongKey || code == Code::kNotSupported) &&
      !options.force_wrong_key) {
    return Status(code, "recover: '" + target->path + "' " +
                            (code == Code::kWrongKey
                                 ? "was sealed with another key"
                                 : "was written by a newer tokencache") +
                            " and may be fine with the right key or "
                            "version; refusing without force_wrong_key (" +
                            found->detail + ")");
  }

  const bool explicit_name = !options.quarantine_name.empty();
  std::string quarantine;
  bool moved = false;
  for (int attempt = 0; attempt < 8 && !moved; ++attempt) {
    quarantine = explicit_name ? options.quarantine_name
                               : DefaultQuarantineName(target->name);
    if (RenameNoReplace(dir->get(), target->name.c_str(), quarantine.c_str()) ==
        0) {
      moved = true;
      break;
    }
    const int err = errno;
    const std::string where = target->dir + "/" + quarantine;
    if (err != EEXIST) {
      return OsError("recover: cannot move the cache to", where, err);
    }
    struct stat st;
    if (fstatat(dir->get(), quarantine.c_str(), &st, AT_SYMLINK_NOFOLLOW) ==
            0 &&
        S_ISLNK(st.st_mode)) {
      if (explicit_name) {
        return Status(
            Code::kPermissionDenied,
            "recover: symlink refused at quarantine path '" + where + "'",
            ELOOP);
      }
    } else if (explicit_name) {
      return Status(Code::kConflict, "recover: '" + where +
                                         "' already exists; it is never "
                                         "replaced");
    }
  }
  if (!moved) {
    return Status(Code::kIoError, "recover: no free quarantine name next to '" +
                                      target->path + "'");
  }
  RecoverReport report;
  report.found = std::move(*found);
  report.quarantine_path = target->dir + "/" + quarantine;
  // The descriptor still names the moved inode: tighten its mode without
  // any path lookup. Then make the rename durable.
  if (fchmod(file->fd.get(), 0600) != 0) {
    return OsError("recover: moved, but cannot chmod", report.quarantine_path,
                   errno);
  }
  if (fsync(dir->get()) != 0) {
    return OsError("recover: moved, but cannot fsync the directory of",
                   target->path, errno);
  }
  return report;
}

#endif  // !defined(_WIN32)

}  // namespace tokencache
