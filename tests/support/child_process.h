// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// ChildProcess: fork/exec a helper executable for multi-process tests, with
// its stdout (and optionally stdin) on pipes. The destructor SIGKILLs and
// reaps a child that is still running, so a failed REQUIRE never leaves
// processes behind. Between fork and exec the child calls only
// async-signal-safe functions, so spawning from a multi-threaded test (or
// under TSan) is safe.
//
// Not thread-safe: one thread drives one ChildProcess.

#ifndef TOKENCACHE_TESTS_SUPPORT_CHILD_PROCESS_H_
#define TOKENCACHE_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tokencache {
namespace test {

class ChildProcess {
 public:
  // Starts `argv[0]` (a path) with `argv`. stdout is always a pipe readable
  // through ReadLine/ReadAll; stdin is a pipe when `pipe_stdin` (closing it
  // with CloseStdin() is how a test tells a child to finish), else
  // /dev/null. stderr is inherited. Throws std::runtime_error when the
  // pipes or fork fail; an exec failure shows as exit status 127.
  static std::unique_ptr<ChildProcess> Spawn(
      const std::vector<std::string>& argv, bool pipe_stdin = false) {
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    int out[2];
    int in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (pipe_stdin && pipe2(in, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      throw std::runtime_error("pipe failed");
    }
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      // Async-signal-safe calls only.
      dup2(out[1], STDOUT_FILENO);
      if (pipe_stdin) {
        dup2(in[0], STDIN_FILENO);
      } else {
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      }
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    if (pipe_stdin) close(in[0]);
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, out[0], in[1]));
  }

  ~ChildProcess() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    CloseStdin();
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return stdout_fd_; }

  // Returns the next line of the child's stdout (without '\n'), or nullopt
  // on EOF or when `timeout` passes first.
  std::optional<std::string> ReadLine(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      if (eof_) return std::nullopt;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      // A zero timeout still looks at what has arrived.
      struct pollfd pfd = {stdout_fd_, POLLIN, 0};
      int rc = poll(&pfd, 1, static_cast<int>(std::max<long long>(
                                 0, static_cast<long long>(left.count()))));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) return std::nullopt;
      Pump();
    }
  }

  // Reads what is available now without blocking; returns false at EOF.
  bool Pump() {
    char chunk[4096];
    while (!eof_) {
      struct pollfd pfd = {stdout_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 0) <= 0) return true;
      ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        break;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    return false;
  }

  // Reads everything until EOF and returns the complete lines not yet
  // returned by ReadLine.
  std::vector<std::string> ReadAllLines() {
    char chunk[4096];
    while (!eof_) {
      ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        break;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    std::vector<std::string> lines;
    std::size_t start = 0;
    std::size_t newline;
    while ((newline = buffer_.find('\n', start)) != std::string::npos) {
      lines.push_back(buffer_.substr(start, newline - start));
      start = newline + 1;
    }
    buffer_.erase(0, start);
    return lines;
  }

  void Signal(int sig) {
    if (!reaped_) kill(pid_, sig);
  }

  void CloseStdin() {
    if (stdin_fd_ >= 0) {
      close(stdin_fd_);
      stdin_fd_ = -1;
    }
  }

  // Waits for the child and returns its wait status (see WIFEXITED...).
  // Idempotent.
  int Wait() {
    if (!reaped_) {
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      status_ = status;
      reaped_ = true;
    }
    return status_;
  }

  // Waits and returns the exit code, or -signal when it was killed.
  int WaitExitCode() {
    int status = Wait();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1000;
  }

 private:
  ChildProcess(pid_t pid, int stdout_fd, int stdin_fd)
      : pid_(pid), stdout_fd_(stdout_fd), stdin_fd_(stdin_fd) {}

  pid_t pid_;
  int stdout_fd_;
  int stdin_fd_;
  bool reaped_ = false;
  bool eof_ = false;
  int status_ = 0;
  std::string buffer_;
};

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SUPPORT_CHILD_PROCESS_H_
