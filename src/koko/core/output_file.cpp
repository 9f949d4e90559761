#include "koko/core/output_file.hpp"

#include <filesystem>

#include "koko/core/error.hpp"

namespace koko {

bool write_in_place(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  return path == "-" || (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st));
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  direct_ = write_in_place(path_);
  if (path_ == "-") {
    f_ = stdout;
    return;
  }
  tmp_ = direct_ ? path_ : path_ + ".tmp";
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) throw Error(ErrorCode::usage, "cannot write the file", path_, "choose a path you can write to");
}

OutputFile::~OutputFile() {
  if (done_ || path_ == "-") return;
  if (f_) std::fclose(f_);
  if (!direct_) std::remove(tmp_.c_str());
}

void OutputFile::write(std::string_view bytes) {
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
    throw Error(ErrorCode::usage, "writing failed (disk full?)", path_, "free some space and try again");
}

void OutputFile::commit() {
  if (path_ == "-") {
    if (std::fflush(f_) != 0) throw Error(ErrorCode::usage, "writing to standard output failed", {}, "");
    done_ = true;
    return;
  }
  const bool ok = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!ok) throw Error(ErrorCode::usage, "writing failed (disk full?)", path_, "free some space and try again");
  if (!direct_) std::filesystem::rename(tmp_, path_);
  done_ = true;
}

}  // namespace koko
