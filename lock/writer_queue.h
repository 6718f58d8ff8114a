// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// WriterQueue: first come, first served order for the exclusive holders of
// one resource across processes and threads (the whole-cache lock of a
// file store, the write transactions of an LMDB environment).
//
// The locks underneath are not fair. An OFD lock waiter polls, and LMDB's
// writer mutex lets a process that has just committed take it again before
// the waiter it woke gets a CPU: with 16 writers on 2 cores some waited
// 100 ms to seconds (bench/contention). This queue hands the turn on in
// ticket order: a writer takes a ticket from a counter in a shared page,
// waits until the "now serving" counter reaches it, takes the real lock,
// and advances the counter when it lets go.
//
// The queue only orders; the lock underneath still excludes, so the queue
// can never let two writers in at once, and it is built so that nothing
// can wedge it:
//  - a writer that gives up waiting (deadline) marks its ticket, and the
//    turn passes over it at once; a try (deadline already passed) takes
//    no ticket; turns so far back that their slots were reused are passed
//    over in one step;
//  - a writer that dies holding or awaiting a turn is passed over as soon
//    as a waiter sees its process is gone or a zombie (its pid is stamped
//    with its ticket), or else after kStall without progress, when a
//    waiter skips every turn up to its own (compare-and-swap, so once per
//    stall);
//  - a turn skipped while its owner was merely slow is still safe: the
//    owner's late release changes nothing (the counter moved on), and the
//    lock underneath keeps the two apart;
//  - counters are 32-bit and compared by signed difference, so wrapping
//    is harmless; garbage in the page costs at most one stall; a file that
//    is not the owner's regular 0600 file, or cannot be mapped, is not
//    used, and the caller works without a queue.
//
// Limits: ordering is kept for up to 64 waiters at once (the slots of the
// page); beyond that some turns are passed over. Pids are compared within
// one pid namespace, and a page on a network file system is not coherent
// between hosts: there the queue orders less, never excludes less.
//
// Linux waits with a futex on the shared page; other POSIX systems poll
// every millisecond.
//
// Thread-safe: each thread's turn has its own ticket. A Turn copied into a
// child by fork() releases the parent's ticket if the child destroys it;
// harmless, as the lock underneath still excludes.

#ifndef TOKENCACHE_LOCK_WRITER_QUEUE_H_
#define TOKENCACHE_LOCK_WRITER_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "tokencache/lock.h"

namespace tokencache {
namespace internal {

class WriterQueue {
 public:
  // How long "now serving" may stay unchanged, with its owner alive,
  // before a waiter skips it. Longer than a cache write (a commit is under
  // a millisecond; longer ones, such as a big import, only make the
  // writers behind wait on the lock underneath instead).
  static constexpr std::chrono::milliseconds kStall{25};

  // Maps the first page of `path`, creating the file (0600, no symlinks)
  // and allocating a page if needed; the rest of the file is left alone,
  // so it may be a lock file whose byte ranges are locked. The page starts
  // with a magic and layout version. Returns nullptr when the file is not
  // the owner's 0600 regular file, cannot be allocated or mapped, or holds
  // another layout: the caller works without a queue. `stall` replaces
  // kStall (tests).
  static std::unique_ptr<WriterQueue> Open(
      const std::filesystem::path& path,
      std::chrono::milliseconds stall = kStall);

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

  // Takes a ticket and waits for its turn (or for the turns ahead to be
  // passed over). Returns nullopt when `deadline` passes first (the ticket
  // is then marked, so nobody waits for it) or had passed already (no
  // ticket is taken): the caller may still try the lock underneath, which
  // the queue never stands in the way of.
  std::optional<Turn> Enter(Deadline deadline = Deadline::max());

 private:
  struct Shared;
  WriterQueue(int fd, Shared* shared, std::chrono::milliseconds stall)
      : fd_(fd), shared_(shared), stall_(stall) {}
  void Release(std::uint32_t ticket);
  // Wakes the writer holding `ticket` (and any sharing its bell).
  void Ring(std::uint32_t ticket);
  // Whether the turn of `ticket` can be passed over at once: its writer
  // gave up or its process ended. `thorough` (for a turn that has stood
  // still) also counts a zombie, which costs a read of /proc, and a ticket
  // whose writer never stamped it.
  bool Forsaken(std::uint32_t ticket, bool thorough) const;

  int fd_;
  Shared* shared_;
  std::chrono::milliseconds stall_;
};

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_LOCK_WRITER_QUEUE_H_
