#pragma once
// Writing a result file all or nothing: into PATH.tmp, renamed over PATH on commit() and removed otherwise.
// "-" is standard output, and a path that exists but is not a regular file (/dev/null, a pipe) is written in
// place: renaming over a device would replace it.
#include <cstdio>
#include <string>
#include <string_view>

namespace koko {

// True for "-" and for paths that exist but are not regular files: those are written in place, never renamed over.
bool write_in_place(const std::string& path);

class OutputFile {
 public:
  explicit OutputFile(std::string path);  // throws koko::Error when it cannot be opened
  ~OutputFile();                          // not committed: the temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view bytes);     // throws koko::Error (disk full, ...)
  void commit();
  [[nodiscard]] std::FILE* handle() const { return f_; }

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool direct_ = false, done_ = false;
};

}  // namespace koko
