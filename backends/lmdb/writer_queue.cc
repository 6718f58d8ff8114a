// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/lmdb/writer_queue.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include <atomic>
#include <cerrno>
#include <climits>
#include <ctime>
#include <utility>

namespace tokencache {
namespace internal {

// The file's layout. Lock-free 32-bit atomics are plain words in memory,
// so processes mapping the same page share them. Ticket t waits on
// bell[t % kBells], and whoever hands the turn to t rings that bell only,
// so a hand-off wakes one writer instead of every waiter.
struct WriterQueue::Shared {
  static constexpr std::uint32_t kBells = 64;
  std::atomic<std::uint32_t> next_ticket;
  std::atomic<std::uint32_t> serving;
  std::atomic<std::uint32_t> bell[kBells];

  std::atomic<std::uint32_t>& BellOf(std::uint32_t ticket) {
    return bell[ticket % kBells];
  }
};

namespace {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "the shared counters must be plain words");
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "futex waits on the atomic's own word");
constexpr std::size_t kFileSize = 4096;

// How long a waiter sleeps before it looks at the clock again.
constexpr std::chrono::microseconds kPoll{2000};

// Waits until `word` may differ from `seen`, or kPoll has passed.
void WaitFor(std::atomic<std::uint32_t>* word, std::uint32_t seen) {
#if defined(__linux__)
  timespec timeout{0, static_cast<long>(
                          std::chrono::nanoseconds(kPoll).count())};
  // Not FUTEX_PRIVATE: the word lives in a mapping other processes share.
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, seen,
          &timeout, nullptr, 0);
#else
  (void)word;
  (void)seen;
  timespec pause{0, 100 * 1000};
  nanosleep(&pause, nullptr);
#endif
}

void WakeAll(std::atomic<std::uint32_t>* word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE,
          INT_MAX, nullptr, nullptr, 0);
#else
  (void)word;
#endif
}

// Whether ticket `a` comes before `b` (modulo 2^32).
bool Before(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) < 0;
}

}  // namespace

std::unique_ptr<WriterQueue> WriterQueue::Open(
    const std::filesystem::path& path) {
  static_assert(sizeof(Shared) <= kFileSize, "the counters fit one page");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                      0600);
  if (fd < 0) return nullptr;
  struct stat st;
  // Refuse a file another user owns or could write: it would let them
  // stall our writers.
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    close(fd);
    return nullptr;
  }
  if (static_cast<std::size_t>(st.st_size) < kFileSize &&
      ftruncate(fd, kFileSize) != 0) {
    close(fd);
    return nullptr;
  }
  void* mapped =
      mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) {
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<WriterQueue>(
      new WriterQueue(fd, static_cast<Shared*>(mapped)));
}

WriterQueue::~WriterQueue() {
  munmap(shared_, kFileSize);
  close(fd_);
}

WriterQueue::Turn WriterQueue::Enter() {
  Turn turn;
  turn.queue_ = this;
  const std::uint32_t ticket = shared_->next_ticket.fetch_add(1);
  turn.ticket_ = ticket;
  std::atomic<std::uint32_t>& bell = shared_->BellOf(ticket);
  std::uint32_t seen = shared_->serving.load();
  auto seen_since = std::chrono::steady_clock::now();
  while (true) {
    // The bell is read before "now serving", so a hand-off between the two
    // reads changes the bell and the wait below returns at once.
    const std::uint32_t rung = bell.load();
    const std::uint32_t serving = shared_->serving.load();
    // A ticket whose turn came, or one that was skipped while this writer
    // slept, goes: LMDB's mutex still excludes.
    if (!Before(serving, ticket)) break;
    const auto now = std::chrono::steady_clock::now();
    if (serving != seen) {
      seen = serving;
      seen_since = now;
    } else if (now - seen_since >= kStall) {
      // The turn being served is stuck: its writer died, holds on for
      // long, or the counters hold garbage. Skip every turn up to this
      // one; writers ahead whose turns are skipped notice within kPoll and
      // go too, for once in no particular order.
      std::uint32_t expected = serving;
      shared_->serving.compare_exchange_strong(expected, ticket);
      seen_since = now;
      continue;
    }
    WaitFor(&bell, rung);
  }
  return turn;
}

void WriterQueue::Ring(std::uint32_t ticket) {
  std::atomic<std::uint32_t>& bell = shared_->BellOf(ticket);
  bell.fetch_add(1);
  // Every waiter on this bell (tickets kBells apart share it) checks.
  WakeAll(&bell);
}

void WriterQueue::Release(std::uint32_t ticket) {
  std::uint32_t expected = ticket;
  // Only the current turn advances the counter: a skipped one must not
  // skip its successor too.
  if (shared_->serving.compare_exchange_strong(expected, ticket + 1)) {
    Ring(ticket + 1);
  }
}

WriterQueue::Turn& WriterQueue::Turn::operator=(Turn&& other) noexcept {
  if (this != &other) {
    Leave();
    queue_ = std::exchange(other.queue_, nullptr);
    ticket_ = other.ticket_;
  }
  return *this;
}

void WriterQueue::Turn::Leave() {
  if (queue_ == nullptr) return;
  queue_->Release(ticket_);
  queue_ = nullptr;
}

}  // namespace internal
}  // namespace tokencache
