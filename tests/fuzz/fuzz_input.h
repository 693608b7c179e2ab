// What the fuzz targets share: reading an input's bytes in order, and the
// drivers' corpus files.
//
// Contract:
// - FuzzReader hands out the input's bytes front to back, big-endian for
//   the wider reads, and zeros once the input is used up (done() is then
//   true). Each read is a separate statement: in `U8() << 8 | U8()` the two
//   calls are indeterminately sequenced, so GCC (the drivers) and clang
//   (the libFuzzer targets) could read the same corpus file differently.
// - AddCorpusPath appends a regular file, or every entry of a directory in
//   sorted order (directory order differs between file systems), so a
//   driver's replay order is the same on every machine.
// - ReadFileBytes returns a file's bytes (empty when it cannot be read).
#ifndef TERN_TESTS_FUZZ_FUZZ_INPUT_H_
#define TERN_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <vector>

namespace tern::fuzz {

class FuzzReader {
 public:
  explicit FuzzReader(std::span<const uint8_t> in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  uint8_t U8() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  uint16_t U16() {
    const uint16_t hi = U8();
    const uint16_t lo = U8();
    return static_cast<uint16_t>(hi << 8 | lo);
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    const uint32_t lo = U16();
    return hi << 16 | lo;
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

inline void AddCorpusPath(const std::filesystem::path& path,
                          std::vector<std::filesystem::path>* files) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> entries;
    for (const auto& e : std::filesystem::directory_iterator(path)) {
      entries.push_back(e.path());
    }
    std::sort(entries.begin(), entries.end());
    files->insert(files->end(), entries.begin(), entries.end());
  } else {
    files->push_back(path);
  }
}

inline std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

}  // namespace tern::fuzz

#endif  // TERN_TESTS_FUZZ_FUZZ_INPUT_H_
