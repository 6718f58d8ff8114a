// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Built-in key sources: key file, passphrase, passphrase in an environment
// variable, base64 key in an environment variable; and the `?key=` parser.

#include "tokencache/key_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "backends/crypto/crypto_internal.h"
#include "backends/crypto/envelope.h"
#include "backends/crypto/secure_memory.h"

namespace tokencache {

using internal::SecureBuffer;

namespace {

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result (close can report a deferred write
  // error on some file systems).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string message(op);
  message += " ";
  message += path;
  message += ": ";
  message += std::strerror(err);
  Code code = Code::kIoError;
  if (err == EACCES || err == EPERM) code = Code::kPermissionDenied;
  if (err == ENOSPC || err == EDQUOT) code = Code::kResourceExhausted;
  return Status(code, std::move(message), err);
}

std::string OctalMode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o",
                static_cast<unsigned>(mode & 07777));
  return buffer;
}

bool IsValidEnvName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || c == '_' || (digit && i > 0))) return false;
  }
  return true;
}

// Creates each missing directory of `dir` with mode 0700. Existing
// directories are left as they are (their safety is checked afterwards).
Status MakeDirectories(const std::string& dir) {
  std::size_t pos = 1;
  while (pos <= dir.size()) {
    std::size_t next = dir.find('/', pos);
    if (next == std::string::npos) next = dir.size();
    const std::string prefix = dir.substr(0, next);
    pos = next + 1;
    if (prefix.empty() || prefix.back() == '/') continue;
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      // The umask can only clear bits; set 0700 exactly in case it cleared
      // the owner's.
      Fd fd(::open(prefix.c_str(),
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (fd.get() < 0 || ::fchmod(fd.get(), 0700) != 0) {
        return ErrnoStatus("cannot set mode 0700 on key directory", prefix,
                           errno);
      }
    } else if (errno != EEXIST) {
      return ErrnoStatus("cannot create key directory", prefix, errno);
    }
  }
  return Status();
}

class KeyFileKeySource final : public KeySource {
 public:
  KeyFileKeySource(std::string path, KeyFileOptions options)
      : path_(std::move(path)), options_(options) {
    const std::size_t slash = path_.rfind('/');
    dir_ = slash == 0 ? "/" : path_.substr(0, slash);
    name_ = path_.substr(slash + 1);
  }

  std::string_view Name() const override { return "file"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    if (options_.create_if_missing) {
      Status made = MakeDirectories(dir_);
      if (!made.ok()) return made;
    }
    Fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) {
      if (errno == ENOENT) {
        return NotFoundError("key directory " + dir_ + " does not exist");
      }
      return ErrnoStatus("cannot open key directory", dir_, errno);
    }
    Status safe = CheckDirectory(dir.get());
    if (!safe.ok()) return safe;

    Result<std::unique_ptr<SecureBuffer>> key = ReadKey(dir.get());
    if (!key.ok() && key.status().code() == Code::kNotFound &&
        options_.create_if_missing) {
      Status created = CreateKey(dir.get());
      if (!created.ok()) return created;
      // Read back whatever is linked in now: when several processes race to
      // create, the losers must use the winner's key, not their own.
      key = ReadKey(dir.get());
    }
    if (!key.ok()) return key.status();
    Result<std::unique_ptr<Cipher>> cipher =
        internal::NewKeyCipherFrom(std::move(*key));
    if (!cipher.ok()) return cipher.status();
    return std::shared_ptr<const Cipher>(std::move(*cipher));
  }

 private:
  Status CheckDirectory(int dir_fd) const {
    struct stat st;
    if (::fstat(dir_fd, &st) != 0) {
      return ErrnoStatus("cannot stat key directory", dir_, errno);
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
        (st.st_mode & S_ISVTX) == 0) {
      return Status(Code::kPermissionDenied,
                    "key directory " + dir_ + " is writable by group or " +
                        "others (mode " + OctalMode(st.st_mode) +
                        "); another user could replace the key file");
    }
    if (st.st_uid != ::geteuid() && st.st_uid != 0) {
      return Status(Code::kPermissionDenied,
                    "key directory " + dir_ + " belongs to another user");
    }
    return Status();
  }

  Result<std::unique_ptr<SecureBuffer>> ReadKey(int dir_fd) const {
    // O_NOFOLLOW: a symlink at the key path is refused, never followed (an
    // attacker's link could point us at a key they know). O_NONBLOCK: a FIFO
    // planted there must not hang us; it is rejected as not a regular file.
    Fd fd(::openat(dir_fd, name_.c_str(),
                   O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) {
        return NotFoundError("key file " + path_ + " does not exist");
      }
      if (err == ELOOP) {
        return Status(
            Code::kPermissionDenied,
            "key file " + path_ + " is a symbolic link; refusing to follow it",
            err);
      }
      return ErrnoStatus("cannot open key file", path_, err);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      return ErrnoStatus("cannot stat key file", path_, errno);
    }
    if (!S_ISREG(st.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "key file " + path_ + " is not a regular file");
    }
    if (st.st_uid != ::geteuid()) {
      return Status(Code::kPermissionDenied,
                    "key file " + path_ + " belongs to another user");
    }
    if ((st.st_mode & 077) != 0) {
      return Status(Code::kPermissionDenied,
                    "key file " + path_ + " is accessible by group or " +
                        "others (mode " + OctalMode(st.st_mode) +
                        "); run chmod 600 on it");
    }
    if (st.st_size != static_cast<off_t>(internal::kKeySize)) {
      return CorruptedError("key file " + path_ + " is " +
                            std::to_string(st.st_size) +
                            " bytes long; a key file holds exactly 32");
    }
    Result<std::unique_ptr<SecureBuffer>> key =
        SecureBuffer::Allocate(internal::kKeySize);
    if (!key.ok()) return key.status();
    std::size_t done = 0;
    while (done < internal::kKeySize) {
      const ssize_t n = ::read(fd.get(), (*key)->mutable_data() + done,
                               internal::kKeySize - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("cannot read key file", path_, errno);
      if (n == 0) {
        return CorruptedError("key file " + path_ + " shrank while being read");
      }
      done += static_cast<std::size_t>(n);
    }
    return key;
  }

  // Writes a fresh key to a private temp file and links it into place
  // without ever replacing an existing file (link(2) fails with EEXIST;
  // renameat2 RENAME_NOREPLACE is the fallback for file systems without
  // hard links). So the key path only ever holds a complete key, and the
  // first of several racing creators wins.
  Status CreateKey(int dir_fd) const {
    Result<std::unique_ptr<SecureBuffer>> key =
        SecureBuffer::Allocate(internal::kKeySize);
    if (!key.ok()) return key.status();
    randombytes_buf((*key)->mutable_data(), internal::kKeySize);

    unsigned char random[8];
    randombytes_buf(random, sizeof random);
    char hex[sizeof random * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, random, sizeof random);
    const std::string temp = "." + name_ + ".tmp-" + hex;

    Fd fd(::openat(dir_fd, temp.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      return ErrnoStatus("cannot create key file", path_, errno);
    }
    Status status = WriteTemp(fd.get(), **key);
    if (status.ok() && fd.Close() != 0) {
      status = ErrnoStatus("cannot close new key file", path_, errno);
    }
    if (status.ok()) status = LinkIntoPlace(dir_fd, temp);
    // The temp name is gone after a rename; after a link (or a failure) it
    // is removed here.
    ::unlinkat(dir_fd, temp.c_str(), 0);
    if (status.ok() && ::fsync(dir_fd) != 0) {
      status = ErrnoStatus("cannot sync key directory", dir_, errno);
    }
    return status;
  }

  Status WriteTemp(int fd, const SecureBuffer& key) const {
    // Exactly 0600 whatever the umask.
    if (::fchmod(fd, 0600) != 0) {
      return ErrnoStatus("cannot set mode 0600 on key file", path_, errno);
    }
    std::size_t done = 0;
    while (done < key.size()) {
      const ssize_t n = ::write(fd, key.data() + done, key.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("cannot write key file", path_, errno);
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      return ErrnoStatus("cannot sync key file", path_, errno);
    }
    return Status();
  }

  Status LinkIntoPlace(int dir_fd, const std::string& temp) const {
    if (::linkat(dir_fd, temp.c_str(), dir_fd, name_.c_str(), 0) == 0) {
      return Status();
    }
    int err = errno;
    if (err == EEXIST) return Status();  // Another creator won; use theirs.
    if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP) {
      if (::renameat2(dir_fd, temp.c_str(), dir_fd, name_.c_str(),
                      RENAME_NOREPLACE) == 0) {
        return Status();
      }
      err = errno;
      if (err == EEXIST) return Status();
    }
    return ErrnoStatus("cannot link new key file into place", path_, err);
  }

  std::string path_;
  std::string dir_;
  std::string name_;
  KeyFileOptions options_;
};

class PassphraseKeySource final : public KeySource {
 public:
  explicit PassphraseKeySource(std::shared_ptr<const Cipher> cipher)
      : cipher_(std::move(cipher)) {}

  std::string_view Name() const override { return "passphrase"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    return cipher_;
  }

 private:
  std::shared_ptr<const Cipher> cipher_;
};

class PassphraseEnvKeySource final : public KeySource {
 public:
  PassphraseEnvKeySource(std::string variable, PassphraseOptions options)
      : variable_(std::move(variable)), options_(options) {}

  std::string_view Name() const override { return "passphrase-env"; }

 protected:
  // The Cipher is built once and kept, so its derived keys are reused for
  // the source's lifetime. The variable itself stays in the environment:
  // unsetting it behind the application's back would surprise it.
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (cipher_ != nullptr) return cipher_;
    const char* value = std::getenv(variable_.c_str());
    if (value == nullptr || *value == '\0') {
      return NotFoundError("environment variable " + variable_ +
                           " is unset or empty; it should hold the "
                           "cache passphrase");
    }
    SecretBytes passphrase{std::string_view(value)};
    Result<std::unique_ptr<Cipher>> cipher =
        NewPassphraseCipher(passphrase, options_);
    if (!cipher.ok()) return cipher.status();
    cipher_ = std::shared_ptr<const Cipher>(std::move(*cipher));
    return cipher_;
  }

 private:
  std::string variable_;
  PassphraseOptions options_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Cipher> cipher_;
};

class KeyEnvKeySource final : public KeySource {
 public:
  explicit KeyEnvKeySource(std::string variable)
      : variable_(std::move(variable)) {}

  std::string_view Name() const override { return "key-env"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    Status init = internal::EnsureSodium();
    if (!init.ok()) return init;
    const char* value = std::getenv(variable_.c_str());
    if (value == nullptr || *value == '\0') {
      return NotFoundError("environment variable " + variable_ +
                           " is unset or empty; it should hold a base64 "
                           "32-byte key");
    }
    Result<std::unique_ptr<SecureBuffer>> key =
        SecureBuffer::Allocate(internal::kKeySize);
    if (!key.ok()) return key.status();
    const std::size_t length = std::strlen(value);
    std::size_t decoded = 0;
    const char* end = nullptr;
    // Decode straight into guarded memory. Fails (-1) when the text holds
    // more than 32 bytes; `end` short of the terminator means junk after
    // the base64.
    const int rc = sodium_base642bin((*key)->mutable_data(), internal::kKeySize,
                                     value, length, " \t\r\n", &decoded, &end,
                                     sodium_base64_VARIANT_ORIGINAL);
    if (rc != 0 || end != value + length || decoded != internal::kKeySize) {
      return InvalidArgumentError("environment variable " + variable_ +
                                  " does not hold a standard base64 "
                                  "encoding of exactly 32 bytes");
    }
    Result<std::unique_ptr<Cipher>> cipher =
        internal::NewKeyCipherFrom(std::move(*key));
    if (!cipher.ok()) return cipher.status();
    return std::shared_ptr<const Cipher>(std::move(*cipher));
  }

 private:
  std::string variable_;
};

Status BadEnvName(std::string_view kind) {
  return InvalidArgumentError(std::string(kind) +
                              " needs an environment variable name made of "
                              "letters, digits and '_', not starting with a "
                              "digit");
}

}  // namespace

KeySource::~KeySource() = default;

Result<std::shared_ptr<const Cipher>> KeySource::GetCipher() const {
  try {
    Result<std::shared_ptr<const Cipher>> result = DoGetCipher();
    if (!result.ok()) return result.status().WithContext(Name());
    if (*result == nullptr) {
      return InternalError("key source returned no cipher").WithContext(Name());
    }
    return result;
  } catch (...) {
    return Status(Code::kInternal, "unexpected exception in key source")
        .WithContext(Name());
  }
}

Result<std::unique_ptr<KeySource>> NewKeyFileKeySource(
    std::string path, const KeyFileOptions& options) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgumentError("key file path must be absolute");
  }
  if (path.back() == '/') {
    return InvalidArgumentError("key file path names a directory");
  }
  return std::unique_ptr<KeySource>(
      new KeyFileKeySource(std::move(path), options));
}

Result<std::unique_ptr<KeySource>> NewPassphraseKeySource(
    SecretBytes passphrase, const PassphraseOptions& options) {
  Result<std::unique_ptr<Cipher>> cipher =
      NewPassphraseCipher(passphrase, options);
  if (!cipher.ok()) return cipher.status();
  return std::unique_ptr<KeySource>(new PassphraseKeySource(
      std::shared_ptr<const Cipher>(std::move(*cipher))));
}

Result<std::unique_ptr<KeySource>> NewPassphraseEnvKeySource(
    std::string variable, const PassphraseOptions& options) {
  if (!IsValidEnvName(variable)) return BadEnvName("passphrase-env");
  if (!internal::CheckKdfParams(options.opslimit, options.memlimit).ok()) {
    return InvalidArgumentError(
        "passphrase options out of range: opslimit must be 2..32 and "
        "memlimit 64 MiB..1 GiB");
  }
  return std::unique_ptr<KeySource>(
      new PassphraseEnvKeySource(std::move(variable), options));
}

Result<std::unique_ptr<KeySource>> NewKeyEnvKeySource(std::string variable) {
  if (!IsValidEnvName(variable)) return BadEnvName("key-env");
  return std::unique_ptr<KeySource>(new KeyEnvKeySource(std::move(variable)));
}

Result<std::unique_ptr<KeySource>> KeySourceFromSpec(
    std::string_view spec, const PassphraseOptions& options) {
  auto starts_with = [&spec](std::string_view prefix) {
    return spec.substr(0, prefix.size()) == prefix;
  };
  if (starts_with("file:")) {
    std::string_view path = spec.substr(5);
    if (path.substr(0, 3) == "///") {
      path.remove_prefix(2);
    } else if (path.substr(0, 2) == "//") {
      return InvalidArgumentError(
          "key=file: takes a local absolute path: file:/path or "
          "file:///path");
    }
    return NewKeyFileKeySource(std::string(path));
  }
  if (starts_with("passphrase-env:")) {
    return NewPassphraseEnvKeySource(std::string(spec.substr(15)), options);
  }
  if (starts_with("key-env:")) {
    return NewKeyEnvKeySource(std::string(spec.substr(8)));
  }
  if (spec == "keychain" || starts_with("keychain:")) {
    return Status(Code::kNotSupported,
                  "keychain key source is not built in yet");
  }
  return InvalidArgumentError(
      "unknown key source; expected key=file:/path, "
      "key=passphrase-env:VAR, key=key-env:VAR or key=keychain");
}

}  // namespace tokencache
