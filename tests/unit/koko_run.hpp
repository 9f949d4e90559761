#pragma once
// Running the built koko binary from a test, as a user would: arguments, a working folder, exit code and output.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace koko_test {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

struct Result {
  int code = -1;
  std::string out, err;
};

inline std::string describe(const Result& r) {
  return "exit code " + std::to_string(r.code) + "\n--- stdout:\n" + r.out.substr(0, 2000) + "\n--- stderr:\n" +
         r.err.substr(0, 4000);
}

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A fresh temporary folder, removed with the object.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "koko-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Runs koko with args in cwd (English messages whatever the locale) and waits for it.
inline Result run_koko(const std::vector<std::string>& args, const fs::path& cwd) {
  const fs::path out = cwd / ".koko-stdout", err = cwd / ".koko-stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    setenv("LC_ALL", "C", 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(KOKO_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(KOKO_BINARY, argv.data());
    _exit(127);
  }
  Result r;
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out);
  r.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// Runs koko in d with the workspace d/v.db.
inline Result koko(const TempDir& d, std::vector<std::string> args) {
  args.insert(args.begin(), {"-w", (d.path / "v.db").string()});
  return run_koko(args, d.path);
}

}  // namespace koko_test
