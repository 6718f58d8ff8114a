// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// lock_worker: the child process of the lock and multi-process tests. Each
// sub-command does one thing through the public API and reports on stdout,
// one line per event, written with write(2) so that a line reported before
// a SIGKILL has reached the parent's pipe.
//
//   hold <lock> <ex|sh> [key]         acquire, print "held", wait for stdin
//                                     EOF, release, print "released"
//   churn <lock> <cache> <n> [classic] hold the lock (or a classic fcntl
//                                     lock with "classic"), open and close
//                                     the lock and cache files n times,
//                                     print "done", wait for stdin EOF
//   counter <lock> <store> <n> [nolock]   n locked read-increment-writes,
//                                     print each new value
//   overlap <lock> <shm> <threads> <n> [nolock]  overlap detector, prints
//                                     "acquisitions=A overlaps=O"
//   writer <lock> <store> [inplace]   endless locked saves of a verifiable
//                                     record, print "ack <n>" after each;
//                                     "corrupt" when it reads a bad record
//
// Exit codes: 0 done, 2 usage, 3 a tokencache call failed (message on
// stderr).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/multiprocess/record.h"
#include "tokencache/backends/file.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace {

void Say(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "lock_worker: %s: %s\n", what.c_str(),
               status.ToString().c_str());
  std::exit(3);
}

void WaitForStdinEof() {
  char c;
  while (read(STDIN_FILENO, &c, 1) > 0) {
  }
}

Deadline In(std::chrono::seconds s) {
  return std::chrono::steady_clock::now() + s;
}

std::unique_ptr<Lock> OpenLock(const std::string& path) {
  Result<std::unique_ptr<Lock>> lock = NewFileLock(path);
  if (!lock.ok()) Fail("NewFileLock", lock.status());
  return std::move(*lock);
}

std::unique_ptr<BlobStore> OpenStore(const std::string& path) {
  Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(path);
  if (!store.ok()) Fail("FileBlobStore::Open", store.status());
  return std::move(*store);
}

int Hold(int argc, char** argv) {
  if (argc < 4) return 2;
  std::unique_ptr<Lock> lock = OpenLock(argv[2]);
  LockMode mode =
      std::string(argv[3]) == "sh" ? LockMode::kShared : LockMode::kExclusive;
  Result<std::unique_ptr<LockHandle>> handle =
      argc >= 5 ? lock->AcquireKey(argv[4], mode, In(std::chrono::seconds(30)))
                : lock->Acquire(mode, In(std::chrono::seconds(30)));
  if (!handle.ok()) Fail("Acquire", handle.status());
  Say("held");
  WaitForStdinEof();
  handle->reset();
  Say("released");
  return 0;
}

int Churn(int argc, char** argv) {
  if (argc < 5) return 2;
  const std::string lock_path = argv[2];
  const std::string cache_path = argv[3];
  const int count = std::atoi(argv[4]);
  const bool classic = argc >= 6 && std::string(argv[5]) == "classic";
  std::unique_ptr<Lock> lock;
  Result<std::unique_ptr<LockHandle>> handle =
      Status(Code::kInternal, "not taken");
  int classic_fd = -1;
  if (classic) {
    // The negative control: a classic POSIX record lock (what
    // boost::interprocess::file_lock uses) belongs to the process and is
    // dropped by the first close() of any descriptor of the file.
    classic_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (classic_fd < 0 || fcntl(classic_fd, F_SETLK, &fl) != 0) {
      std::perror("classic lock");
      return 3;
    }
  } else {
    lock = OpenLock(lock_path);
    handle = lock->Acquire(LockMode::kExclusive, In(std::chrono::seconds(30)));
    if (!handle.ok()) Fail("Acquire", handle.status());
  }
  Say("held");
  for (int i = 0; i < count; ++i) {
    for (const std::string& path : {lock_path, cache_path}) {
      int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) close(fd);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  Say("done");
  WaitForStdinEof();
  if (classic_fd >= 0) close(classic_fd);
  return 0;
}

int Counter(int argc, char** argv) {
  if (argc < 5) return 2;
  std::unique_ptr<Lock> lock = OpenLock(argv[2]);
  std::unique_ptr<BlobStore> store = OpenStore(argv[3]);
  const int count = std::atoi(argv[4]);
  const bool use_lock = !(argc >= 6 && std::string(argv[5]) == "nolock");
  for (int i = 0; i < count; ++i) {
    std::unique_ptr<LockHandle> held;
    if (use_lock) {
      Result<std::unique_ptr<LockHandle>> handle =
          lock->Acquire(LockMode::kExclusive, In(std::chrono::seconds(60)));
      if (!handle.ok()) Fail("Acquire", handle.status());
      held = std::move(*handle);
    }
    Result<std::optional<Blob>> blob = store->Read();
    if (!blob.ok()) Fail("Read", blob.status());
    long long value = 0;
    std::optional<BlobVersion> expected;
    if (blob->has_value()) {
      value = std::atoll(std::string((*blob)->bytes.view()).c_str());
      expected = (*blob)->version;
    } else {
      expected = BlobVersion{};
    }
    ++value;
    // Without the lock the control writes blindly, as a lock-less writer
    // would; with it, the expected version must always match.
    Result<BlobVersion> written = store->Write(
        std::to_string(value), use_lock ? expected : std::nullopt);
    if (!written.ok()) Fail("Write", written.status());
    Say(std::to_string(value));
  }
  return 0;
}

struct SharedCounters {
  std::atomic<int> inside;
};

int Overlap(int argc, char** argv) {
  if (argc < 6) return 2;
  std::unique_ptr<Lock> lock = OpenLock(argv[2]);
  const int threads = std::atoi(argv[4]);
  const int count = std::atoi(argv[5]);
  const bool use_lock = !(argc >= 7 && std::string(argv[6]) == "nolock");
  int fd = open(argv[3], O_RDWR | O_CLOEXEC);
  if (fd < 0) return 3;
  void* mem =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (mem == MAP_FAILED) return 3;
  // The parent zero-filled the file; a lock-free atomic is address-free,
  // so it works across processes.
  auto* shared = static_cast<SharedCounters*>(mem);
  std::atomic<long> overlaps{0};
  std::atomic<long> acquisitions{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < count; ++i) {
        std::unique_ptr<LockHandle> held;
        if (use_lock) {
          Result<std::unique_ptr<LockHandle>> handle = lock->Acquire(
              LockMode::kExclusive, In(std::chrono::seconds(60)));
          if (!handle.ok()) Fail("Acquire", handle.status());
          held = std::move(*handle);
        }
        if (shared->inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        // A short busy critical section (a few microseconds), so that
        // overlaps are likely without a lock. No yield: under load, a
        // holder that yields stalls every waiter for a time slice.
        for (int spin = 0; spin < 2000; ++spin) {
          std::atomic_signal_fence(std::memory_order_seq_cst);
        }
        // The unlocked control yields inside the section: on 2 loaded cores
        // a thread can otherwise finish all its iterations within one time
        // slice, see no overlap, and make the control pass vacuously.
        if (!use_lock) std::this_thread::yield();
        shared->inside.fetch_sub(1);
        acquisitions.fetch_add(1);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  munmap(mem, 4096);
  Say("acquisitions=" + std::to_string(acquisitions.load()) +
      " overlaps=" + std::to_string(overlaps.load()));
  return 0;
}

int Writer(int argc, char** argv) {
  if (argc < 4) return 2;
  std::unique_ptr<Lock> lock = OpenLock(argv[2]);
  const std::string store_path = argv[3];
  const bool in_place = argc >= 5 && std::string(argv[4]) == "inplace";
  std::unique_ptr<BlobStore> store = OpenStore(store_path);
  std::mt19937 rng(static_cast<unsigned>(getpid()));
  while (true) {
    Result<std::unique_ptr<LockHandle>> handle =
        lock->Acquire(LockMode::kExclusive, In(std::chrono::seconds(60)));
    if (!handle.ok()) Fail("Acquire", handle.status());
    Result<std::optional<Blob>> blob = store->Read();
    if (!blob.ok()) Fail("Read", blob.status());
    long long value = 0;
    std::optional<BlobVersion> expected = BlobVersion{};
    if (blob->has_value()) {
      std::optional<long long> parsed =
          test::ParseRecord((*blob)->bytes.view());
      if (!parsed) {
        Say("corrupt");
        // Start over from a counter no ack can exceed: the parent only
        // counts this event in the negative control.
        value = 1000000;
      } else {
        value = *parsed;
      }
      expected = (*blob)->version;
    }
    ++value;
    std::string record =
        test::MakeRecord(value, std::uniform_int_distribution<int>(
                                    0, 32 * 1024)(rng));
    if (in_place) {
      // The negative control: an in-place rewrite, as msal-node's
      // FilePersistence does (open O_TRUNC, write, no fsync), slowed down
      // between chunks like an async writer.
      int fd = open(store_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC |
                                            O_CLOEXEC, 0600);
      if (fd < 0) return 3;
      for (std::size_t off = 0; off < record.size(); off += 4096) {
        std::size_t len = std::min<std::size_t>(4096, record.size() - off);
        if (write(fd, record.data() + off, len) < 0) return 3;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
      close(fd);
    } else {
      Result<BlobVersion> written = store->Write(record, expected);
      if (!written.ok()) Fail("Write", written.status());
    }
    Say("ack " + std::to_string(value));
  }
}

}  // namespace
}  // namespace tokencache

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string command = argv[1];
  if (command == "hold") return tokencache::Hold(argc, argv);
  if (command == "churn") return tokencache::Churn(argc, argv);
  if (command == "counter") return tokencache::Counter(argc, argv);
  if (command == "overlap") return tokencache::Overlap(argc, argv);
  if (command == "writer") return tokencache::Writer(argc, argv);
  std::fprintf(stderr, "lock_worker: unknown command %s\n", command.c_str());
  return 2;
}
