// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// main() for fuzz/binary_fuzz.cc outside libFuzzer: feeds every file under
// the directories (or the files) named on the command line to
// LLVMFuzzerTestOneInput once, in name order. The oracle aborts on a
// failure, which fails the test. Finding no input at all is a failure too,
// so that a wrong corpus path cannot pass silently.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const fs::path arg(argv[i]);
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (fs::is_regular_file(arg, ec)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "binary_fuzz_replay: not found: %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "binary_fuzz_replay: no inputs found\n");
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    if (in.bad()) {
      std::fprintf(stderr, "binary_fuzz_replay: cannot read %s\n",
                   file.c_str());
      return 2;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("binary_fuzz_replay: %zu inputs replayed, 0 failures\n",
              files.size());
  return 0;
}
