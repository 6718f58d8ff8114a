// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Runs a child process with an environment of the test's choosing and
// collects its exit status and its stdout and stderr (merged). The keychain
// tests need this to try the library under "no D-Bus", "bus without a
// Secret Service" and "locked keyring" conditions, which are properties of
// a process's environment. posix_spawn with an explicit envp is used
// because GLib starts threads in the test process, so nothing may run
// between fork and exec.

#ifndef TOKENCACHE_TESTS_KEYCHAIN_SPAWN_H_
#define TOKENCACHE_TESTS_KEYCHAIN_SPAWN_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace tokencache {
namespace test {

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out.
  std::string output;  // stdout and stderr, interleaved.
};

struct ChildEnv {
  std::map<std::string, std::string> set;
  std::set<std::string> unset;
};

// A running child; Finish() waits for it and collects what it printed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const ChildEnv& env) {
    std::vector<std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string var(*e);
      std::string name = var.substr(0, var.find('='));
      if (env.unset.count(name) != 0 || env.set.count(name) != 0) continue;
      vars.push_back(var);
    }
    for (const auto& [name, value] : env.set) vars.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::vector<std::string> args(argv);
    std::vector<char*> argp;
    for (std::string& a : args) argp.push_back(a.data());
    argp.push_back(nullptr);

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    int rc = posix_spawnp(&pid_, argp[0], &actions, nullptr, argp.data(),
                          envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    if (rc != 0) {
      close(pipefd[0]);
      throw std::runtime_error("posix_spawn failed for " + argv[0]);
    }
    fd_ = pipefd[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  ChildResult Finish(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ChildResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    while (fd_ >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n <= 0) {
        close(fd_);
        fd_ = -1;
        break;
      }
      result.output.append(buffer, static_cast<std::size_t>(n));
    }
    if (fd_ >= 0) {  // Timed out: the destructor's SIGKILL is the answer.
      result.output += "\n[timed out]\n";
      return result;
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    return result;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

inline ChildResult RunChild(const std::vector<std::string>& argv,
                            const ChildEnv& env = {}) {
  Child child(argv, env);
  return child.Finish();
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_KEYCHAIN_SPAWN_H_
