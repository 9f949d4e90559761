#pragma once
// The one error type of koko: every failure the user can act on carries a code, a message, where it happened
// (file:line:column when it comes from input) and a hint saying what to change.
#include <stdexcept>
#include <string>

namespace koko {

enum class ErrorCode {
  usage = 2,        // wrong command line
  input = 3,        // bad input data (file, line, column)
  workspace = 4,    // the workspace cannot be opened, is busy or is from a newer koko
  not_found = 5,    // a file, table or analysis that does not exist
  analysis = 6,     // an analysis cannot run on this data
  internal = 70,    // a bug in koko
};

struct Error : std::runtime_error {
  ErrorCode code;
  std::string message;
  std::string location;  // "file:line:column", "file", or empty
  std::string hint;      // what to change; may be empty

  Error(ErrorCode c, std::string msg, std::string loc = {}, std::string h = {})
      : std::runtime_error(msg), code(c), message(std::move(msg)), location(std::move(loc)), hint(std::move(h)) {}

  // "location: message\n  hint: ..." as printed by the CLI.
  [[nodiscard]] std::string describe() const {
    std::string s = location.empty() ? message : location + ": " + message;
    if (!hint.empty()) s += "\n  hint: " + hint;
    return s;
  }
};

}  // namespace koko
