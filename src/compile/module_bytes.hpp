// A module's bytes, immutable and shared by what reads them after compile() (lazy tier 0 emits a
// function's C from them on its first call). A large module file is read into memory backed by
// transparent huge pages: reading CRuby's 16 MB took 75 ms in 4 KiB page faults in a VM, 5.5 ms
// in 2 MiB ones. (Not a mapping of the file: one truncated or rewritten while it runs would change
// validated bytes under the emitter, or fault.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace wisp::detail {

class ModuleBytes {
 public:
  // Takes the bytes of a vector (no copy).
  static std::shared_ptr<const ModuleBytes> from_vector(std::vector<uint8_t> bytes);
  // Reads a file; throws wisp::Error naming the path on failure.
  static std::shared_ptr<const ModuleBytes> read_file(const std::filesystem::path& path);

  ModuleBytes(const ModuleBytes&) = delete;
  ModuleBytes& operator=(const ModuleBytes&) = delete;
  ~ModuleBytes();

  std::span<const uint8_t> span() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  ModuleBytes() = default;
  std::vector<uint8_t> vector_;  // from_vector, or a small file
  uint8_t* huge_ = nullptr;      // a large file: aligned_alloc'd, huge pages advised
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// The whole content of the open file `fd` (to its end: it may be a /proc file that reports size 0
// or a growing one); closes `fd`. Errors name `path`.
std::vector<uint8_t> read_open_file(int fd, const std::filesystem::path& path);

}  // namespace wisp::detail
