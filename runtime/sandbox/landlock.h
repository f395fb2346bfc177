#pragma once
// Landlock (Linux 5.13+): an unprivileged process restricts the files it and
// its future children may open, in addition to the uid's rights. Thin
// wrappers over the three system calls; no library needed. Used by the
// sandbox launcher before it execs an instance, and by the gateway to learn
// at start-up whether the kernel has it.

#include <cstdint>
#include <string>

namespace mcpgw::sandbox {

// The kernel's Landlock ABI version: 0 when the kernel lacks Landlock or it
// is disabled at boot.
int LandlockAbi();

// What a path rule grants, mapped to the rights of the running ABI.
enum class PathAccess {
  kRead,     // read files, list directories
  kExecute,  // kRead plus executing files (programs and shared libraries)
  kWrite,    // everything beneath: read, write, create, remove, truncate
};

// A ruleset being built. Paths not covered by a rule get none of the
// handled rights once Restrict() has run.
class LandlockRuleset {
 public:
  // Creates the ruleset for `abi` (>= 1). On failure `error()` says why.
  explicit LandlockRuleset(int abi);
  ~LandlockRuleset();
  LandlockRuleset(const LandlockRuleset&) = delete;
  LandlockRuleset& operator=(const LandlockRuleset&) = delete;

  bool ok() const { return fd_ >= 0 && error_.empty(); }
  const std::string& error() const { return error_; }

  // Grants `access` beneath `path` (a directory) or to `path` (a file).
  // A path that does not exist is skipped (returns false, no error).
  bool Allow(const std::string& path, PathAccess access);

  // Applies the ruleset to this thread (and what it execs). Needs
  // no_new_privs (or CAP_SYS_ADMIN).
  bool Restrict();

 private:
  void Fail(const std::string& what, int error_number);

  int fd_ = -1;
  std::uint64_t handled_ = 0;
  std::string error_;
};

}  // namespace mcpgw::sandbox
