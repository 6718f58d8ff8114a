// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// WriterQueue: first come, first served order for the write transactions of
// every process on one LMDB environment.
//
// LMDB serializes writers with a process-shared mutex, which is not fair: a
// process that commits and at once begins its next write usually takes the
// mutex again before the waiter it woke gets a CPU. With 16 processes
// writing back to back on 2 cores, that starved some writers for 100 ms and
// more (bench/contention). This queue hands the turn on in ticket order:
// a writer takes a ticket from a counter in a small shared file, waits
// until the "now serving" counter reaches it, and advances the counter when
// its transaction ends.
//
// The queue only orders writers; LMDB's mutex still excludes them, so the
// queue can never break a transaction. It is built so that nothing can
// wedge it either:
//  - a writer that dies holding or awaiting a turn stalls the queue only
//    until a waiter has seen "now serving" unchanged for kStall; that
//    waiter then skips every turn up to its own (compare-and-swap, so
//    once per stall), and the writers ahead of it go too;
//  - a turn that was skipped while its owner was merely slow is still
//    safe: the owner's late release changes nothing (the counter moved on),
//    and LMDB's mutex keeps the two writers apart;
//  - counters are 32-bit and compared by signed difference, so wrapping
//    is harmless;
//  - garbage in the file costs at most one stall; a file that is not the
//    owner's regular 0600 file, or cannot be created or mapped, is not
//    used, and the store works without a queue.
//
// Linux waits with a futex on the shared page; other systems poll.
//
// Thread-safe: each thread's write transaction takes its own ticket.

#ifndef TOKENCACHE_BACKENDS_LMDB_WRITER_QUEUE_H_
#define TOKENCACHE_BACKENDS_LMDB_WRITER_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace tokencache {
namespace internal {

class WriterQueue {
 public:
  // How long "now serving" may stay unchanged before a waiter skips it.
  // Longer than any write transaction of the cache (a commit is a few
  // hundred microseconds, an import of 100k tokens longer, and then the
  // skipped writers just wait on LMDB's mutex instead).
  static constexpr std::chrono::milliseconds kStall{25};

  // Opens or creates `path` (0600, no symlinks) and maps its counters.
  // Returns nullptr when that fails: the caller works without a queue.
  static std::unique_ptr<WriterQueue> Open(const std::filesystem::path& path);

  WriterQueue(const WriterQueue&) = delete;
  WriterQueue& operator=(const WriterQueue&) = delete;
  ~WriterQueue();

  // A turn, from Enter() until Leave() (or the destructor).
  class Turn {
   public:
    Turn() = default;
    Turn(Turn&& other) noexcept { *this = std::move(other); }
    Turn& operator=(Turn&& other) noexcept;
    ~Turn() { Leave(); }
    // Passes the turn to the next ticket. Idempotent.
    void Leave();

   private:
    friend class WriterQueue;
    WriterQueue* queue_ = nullptr;
    std::uint32_t ticket_ = 0;
  };

  // Takes a ticket and waits for its turn (or for a stalled turn ahead to
  // be skipped).
  Turn Enter();

 private:
  struct Shared;
  WriterQueue(int fd, Shared* shared) : fd_(fd), shared_(shared) {}
  void Release(std::uint32_t ticket);
  // Wakes the writer holding `ticket` (and any sharing its bell).
  void Ring(std::uint32_t ticket);

  int fd_;
  Shared* shared_;
};

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_LMDB_WRITER_QUEUE_H_
