// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "lock/writer_queue.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace tokencache {
namespace internal {

// The page's layout. Lock-free atomics are plain words in memory, so
// processes mapping the same page share them. Tickets t, t + kSlots, ...
// share slot t % kSlots:
//  - bell: ticket t waits on it, and whoever hands the turn to t rings
//    that bell only, so a hand-off wakes one writer, not every waiter;
//  - owner: (t << 32) | pid of the process that took ticket t;
//  - forsaken: t + 1 once ticket t gave up waiting.
struct WriterQueue::Shared {
  static constexpr std::uint32_t kSlots = 64;
  // kMagic once the page is set up; 0 on a fresh page. A page of another
  // layout (or garbage) is not used.
  std::atomic<std::uint32_t> magic;
  std::atomic<std::uint32_t> next_ticket;
  std::atomic<std::uint32_t> serving;
  std::atomic<std::uint32_t> bell[kSlots];
  std::atomic<std::uint32_t> forsaken[kSlots];
  std::atomic<std::uint64_t> owner[kSlots];

  static std::uint32_t Slot(std::uint32_t ticket) { return ticket % kSlots; }
};

namespace {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<std::uint64_t>::is_always_lock_free,
              "the shared counters must be plain words");
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "futex waits on the atomic's own word");
constexpr std::size_t kPageSize = 4096;
// "TCQ" and the layout version (1).
constexpr std::uint32_t kMagic = 0x54435101;

// How long a waiter sleeps before it looks at the clock, the deadline and
// the owner of the turn being served again.
constexpr std::chrono::microseconds kPoll{2000};

// Waits until `word` may differ from `seen`, `pause` has passed, or a
// signal came.
void WaitFor(std::atomic<std::uint32_t>* word, std::uint32_t seen,
             std::chrono::nanoseconds pause) {
#if defined(__linux__)
  timespec timeout{
      static_cast<time_t>(pause.count() / 1000000000),
      static_cast<long>(pause.count() % 1000000000)};
  // Not FUTEX_PRIVATE: the word lives in a mapping other processes share.
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, seen,
          &timeout, nullptr, 0);
#else
  (void)word;
  (void)seen;
  timespec sleep{0, static_cast<long>(std::min<std::int64_t>(
                        pause.count(), 1000 * 1000))};
  nanosleep(&sleep, nullptr);
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
    const std::filesystem::path& path, std::chrono::milliseconds stall) {
  static_assert(sizeof(Shared) <= kPageSize, "the counters fit one page");
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
  // Blocks allocated now, not at the first store into the mapping: a store
  // into a hole on a full disk would raise SIGBUS.
  if (posix_fallocate(fd, 0, kPageSize) != 0) {
    close(fd);
    return nullptr;
  }
  void* mapped =
      mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) {
    close(fd);
    return nullptr;
  }
  auto* shared = static_cast<Shared*>(mapped);
  std::uint32_t magic = 0;
  if (!shared->magic.compare_exchange_strong(magic, kMagic) &&
      magic != kMagic) {
    munmap(mapped, kPageSize);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<WriterQueue>(new WriterQueue(fd, shared, stall));
}

WriterQueue::~WriterQueue() {
  munmap(shared_, kPageSize);
  close(fd_);
}

namespace {

// Whether process `pid` has ended: gone, or (Linux) a zombie its parent
// has not reaped yet, which holds no locks either.
bool ProcessEnded(pid_t pid, bool look_for_zombie) {
  if (pid <= 0) return false;
  // ESRCH: no such process (EPERM would mean alive, of another user).
  if (kill(pid, 0) != 0) return errno == ESRCH;
#if defined(__linux__)
  if (look_for_zombie) {
    char path[32];
    std::snprintf(path, sizeof(path), "/proc/%d/status",
                  static_cast<int>(pid));
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[2048];
    const ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    // The state is the main thread's: a process whose main thread exited
    // shows "Z" while its other threads run. Only a zombie with no thread
    // left but the main one has ended.
    const char* state = std::strstr(buf, "\nState:\t");
    const char* threads = std::strstr(buf, "\nThreads:\t");
    if (state == nullptr || threads == nullptr) return false;
    const char code = state[std::strlen("\nState:\t")];
    return (code == 'Z' || code == 'X') &&
           std::strtol(threads + std::strlen("\nThreads:\t"), nullptr, 10) <= 1;
  }
#else
  (void)look_for_zombie;
#endif
  return false;
}

}  // namespace

bool WriterQueue::Forsaken(std::uint32_t ticket, bool thorough) const {
  // A ticket not handed out yet has nobody to wait for, nor to skip.
  if (!Before(ticket, shared_->next_ticket.load())) return false;
  const std::uint32_t slot = Shared::Slot(ticket);
  if (shared_->forsaken[slot].load() == ticket + 1) return true;
  const std::uint64_t owner = shared_->owner[slot].load();
  const auto stamped = static_cast<std::uint32_t>(owner >> 32);
  if (stamped != ticket) {
    // A writer stamps its slot right after taking its ticket, so an older
    // stamp on a turn that has stood still means the ticket's writer
    // vanished in between (or the page was garbage): nobody will take
    // this turn. (Right after a hand-off the stamp may just be on its way.)
    // A newer stamp means the slot was reused; Enter() handles turns that
    // far back.
    return thorough && Before(stamped, ticket);
  }
  return ProcessEnded(static_cast<pid_t>(owner & 0xffffffffu), thorough);
}

std::optional<WriterQueue::Turn> WriterQueue::Enter(Deadline deadline) {
  // A try (deadline already passed) takes no ticket: it would only be
  // forsaken at once.
  if (deadline <= std::chrono::steady_clock::now()) return std::nullopt;
  const std::uint32_t ticket = shared_->next_ticket.fetch_add(1);
  const std::uint32_t slot = Shared::Slot(ticket);
  shared_->owner[slot].store((std::uint64_t{ticket} << 32) |
                             static_cast<std::uint32_t>(getpid()));
  std::atomic<std::uint32_t>& bell = shared_->bell[slot];
  std::uint32_t seen = shared_->serving.load();
  auto seen_since = std::chrono::steady_clock::now();
  while (true) {
    // The bell is read before "now serving", so a hand-off between the two
    // reads changes the bell and the wait below returns at once.
    const std::uint32_t rung = bell.load();
    const std::uint32_t serving = shared_->serving.load();
    // A ticket whose turn came, or one passed over while this writer
    // slept, goes: the lock underneath still excludes.
    if (!Before(serving, ticket)) break;
    if (ticket - serving >= Shared::kSlots) {
      // The slots no longer tell anything about turns that far back (they
      // were reused by later tickets, this one's included): those writers
      // gave up or died, or there are more waiters than slots. Bring the
      // counter within reach.
      std::uint32_t expected = serving;
      shared_->serving.compare_exchange_strong(
          expected, ticket - (Shared::kSlots - 1));
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      shared_->forsaken[slot].store(ticket + 1);
      // If the turn came meanwhile, hand it on; else whoever serves the
      // ticket before this one passes it over.
      Release(ticket);
      return std::nullopt;
    }
    if (serving != seen) {
      seen = serving;
      seen_since = now;
    }
    // Cheap checks on every look; /proc only once the turn has stood
    // still for a poll, as a hand-off between live writers takes less.
    if (Forsaken(serving, now - seen_since >= kPoll)) {
      Release(serving);
      continue;
    }
    if (now - seen_since >= stall_) {
      // The turn being served is stuck and its owner looks alive (or the
      // page holds garbage). Skip every turn up to this one; writers ahead
      // whose turns are skipped notice within kPoll and go too, for once
      // in no particular order.
      std::uint32_t expected = serving;
      shared_->serving.compare_exchange_strong(expected, ticket);
      continue;
    }
    WaitFor(&bell, rung,
            std::min<std::chrono::nanoseconds>(kPoll, deadline - now));
  }
  Turn turn;
  turn.queue_ = this;
  turn.ticket_ = ticket;
  return turn;
}

void WriterQueue::Ring(std::uint32_t ticket) {
  std::atomic<std::uint32_t>& bell = shared_->bell[Shared::Slot(ticket)];
  bell.fetch_add(1);
  // Every waiter on this bell (tickets kSlots apart share it) checks.
  WakeAll(&bell);
}

void WriterQueue::Release(std::uint32_t ticket) {
  std::uint32_t current = ticket;
  // Only the turn being served advances the counter, so a skipped turn
  // cannot skip its successor too. Forsaken turns right behind are passed
  // over in the same go.
  while (shared_->serving.compare_exchange_strong(current, current + 1)) {
    ++current;
    if (!Forsaken(current, /*thorough=*/false)) {
      Ring(current);
      return;
    }
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
