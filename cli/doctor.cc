// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache doctor`: which keychains and key sources work on this machine,
// why the others do not, and which cache URI to use here. It only probes:
// the keychain probe stores and clears an item of its own, and the key
// directory probe creates and removes a file of its own. It never opens,
// reads or writes a cache or a key.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "cli/commands.h"
#include "cli/output.h"

#if defined(TOKENCACHE_HAVE_KEYCHAIN)
#include "tokencache/backends/keychain.h"
#endif

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

std::string DefaultDirectory() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    return std::string(xdg) + "/tokencache";
  }
  if (const char* home = std::getenv("HOME"); home && *home == '/') {
    return std::string(home) + "/.cache/tokencache";
  }
  return "";
}

// Checks that `dir` can hold a key file the way the key file source wants
// it: a directory of ours without group/other access, where a 0600 file can
// be created. A missing directory is fine when its nearest existing
// ancestor is writable: the key file source creates it 0700. Returns ""
// when all is well, else the reason.
std::string CheckKeyDirectory(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    return "no absolute directory (set HOME or XDG_CACHE_HOME, or give "
           "--key-dir)";
  }
  std::filesystem::path existing(dir);
  while (::access(existing.c_str(), F_OK) != 0 && existing.has_parent_path() &&
         existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (existing != std::filesystem::path(dir)) {
    if (::access(existing.c_str(), W_OK) != 0) {
      return "it does not exist and " + existing.string() +
             " is not writable";
    }
    return "";
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return std::string("cannot stat it: ") + std::strerror(errno);
  }
  if (S_ISLNK(st.st_mode)) return "it is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "it is not a directory";
  if (st.st_uid != ::geteuid()) return "it belongs to another user";
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return std::string("its mode is ") + mode +
           "; group and others must have no access (chmod 700)";
  }
  const std::string probe =
      dir + "/.tokencache-doctor-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return std::string("cannot create a file in it: ") + std::strerror(errno);
  }
  struct stat file {};
  const bool stat_ok = ::fstat(fd, &file) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!stat_ok || (file.st_mode & 0777) != 0600) {
    return "a new file did not get mode 0600";
  }
  return "";
}

}  // namespace

int RunDoctor(const Args& args) {
  po::options_description options("doctor options");
  const std::string default_dir = DefaultDirectory();
  options.add_options()(
      "key-dir", po::value<std::string>()->default_value(default_dir),
      "directory to check for key files and to use in the suggested URIs")(
      "app", po::value<std::string>()->default_value("myapp"),
      "the keychain service name to use in the suggested URIs");
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache doctor: " << UsageError(e)
              << "\nTry 'tokencache doctor --help'.\n";
    return kExitUsage;
  }
  if (vm.count("help") != 0) {
    std::cout << "Usage: tokencache doctor [options]\n"
              << "Reports which keychains and key sources work here and "
                 "suggests a cache URI.\n"
              << all;
    return kExitOk;
  }
  const std::string dir = vm["key-dir"].as<std::string>();
  const std::string app = vm["app"].as<std::string>();

  std::cout << "tokencache doctor\n\n";
  bool keychain_ok = false;
  std::cout << "Linux keychain (Secret Service via libsecret)\n";
#if defined(TOKENCACHE_HAVE_KEYCHAIN)
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  std::cout << "  session bus address: "
            << (bus != nullptr && *bus != '\0' ? "set" : "not set") << "\n";
  KeychainProbeResult probe = ProbeKeychain();
  std::cout << "  Secret Service reachable: "
            << (probe.service_reachable ? "yes" : "no") << "\n";
  if (probe.service_reachable) {
    std::cout << "  store/read/clear probe: "
              << (probe.store_works ? "ok" : "failed") << "\n";
  }
  if (!probe.status.ok()) {
    std::cout << "  why: " << probe.status.ToString() << "\n";
  }
  keychain_ok = probe.store_works;
#else
  std::cout << "  not in this build (TOKENCACHE_WITH_KEYCHAIN=OFF or not "
               "Linux)\n";
#endif
  std::cout << "Windows DPAPI: n/a on this system\n";
  std::cout << "macOS Keychain: n/a on this system\n\n";

  std::cout << "Key file directory: " << (dir.empty() ? "(none)" : dir)
            << "\n";
  const std::string dir_problem = CheckKeyDirectory(dir);
  const bool dir_ok = dir_problem.empty();
  std::cout << "  private (0700, ours) and 0600 files can be created: "
            << (dir_ok ? "yes" : "no") << "\n";
  if (dir_ok && ::access(dir.c_str(), F_OK) != 0) {
    std::cout << "  (it does not exist yet; it is created 0700 on first "
                 "use)\n";
  }
  if (!dir_ok) std::cout << "  why: " << dir_problem << "\n";

  const std::string cache =
      "file://" + (dir.empty() ? std::string("/path/to") : dir) +
      "/msal_cache.bin";
  std::cout << "\nRecommended URI (docs/choosing-a-uri.md):\n";
  if (keychain_ok) {
    std::cout << "  " << cache << "?key=keychain:" << app << "/cache-key\n"
              << "  (the key in the keychain, the cache in an encrypted "
                 "file: one keychain item of any cache size)\n";
  } else {
    std::cout << "  " << cache << "?key=file:"
              << (dir.empty() ? std::string("/path/to") : dir)
              << "/cache.key\n"
              << "  (no usable keychain here: a 0600 key file protects the "
                 "cache as well as the account's file permissions do)\n";
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace tokencache
