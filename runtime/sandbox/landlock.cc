#include "runtime/sandbox/landlock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mcpgw::sandbox {
namespace {

// From <linux/landlock.h>; spelled out here because Debian 12's kernel
// headers predate the newer ABIs this uses when the running kernel has them.
#ifndef SYS_landlock_create_ruleset
constexpr long SYS_landlock_create_ruleset = 444;
constexpr long SYS_landlock_add_rule = 445;
constexpr long SYS_landlock_restrict_self = 446;
#endif
constexpr std::uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

constexpr std::uint64_t kExecute = 1ull << 0;
constexpr std::uint64_t kWriteFile = 1ull << 1;
constexpr std::uint64_t kReadFile = 1ull << 2;
constexpr std::uint64_t kReadDir = 1ull << 3;
constexpr std::uint64_t kRemoveDir = 1ull << 4;
constexpr std::uint64_t kRemoveFile = 1ull << 5;
constexpr std::uint64_t kMakeChar = 1ull << 6;
constexpr std::uint64_t kMakeDir = 1ull << 7;
constexpr std::uint64_t kMakeReg = 1ull << 8;
constexpr std::uint64_t kMakeSock = 1ull << 9;
constexpr std::uint64_t kMakeFifo = 1ull << 10;
constexpr std::uint64_t kMakeBlock = 1ull << 11;
constexpr std::uint64_t kMakeSym = 1ull << 12;
constexpr std::uint64_t kRefer = 1ull << 13;     // ABI 2
constexpr std::uint64_t kTruncate = 1ull << 14;  // ABI 3
// Rights that make sense on a file rule (the kernel refuses the others).
constexpr std::uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate;

constexpr std::uint64_t kScopeAbstractUnixSocket = 1ull << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ull << 1;              // ABI 6

// struct landlock_ruleset_attr grew with the ABI: handled_access_fs (1),
// handled_access_net (4), scoped (6). The kernel takes the size we pass.
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

std::uint64_t HandledFor(int abi) {
  std::uint64_t handled = kExecute | kWriteFile | kReadFile | kReadDir |
                          kRemoveDir | kRemoveFile | kMakeChar | kMakeDir |
                          kMakeReg | kMakeSock | kMakeFifo | kMakeBlock |
                          kMakeSym;
  if (abi >= 2) handled |= kRefer;
  if (abi >= 3) handled |= kTruncate;
  return handled;
}

std::uint64_t RightsFor(PathAccess access) {
  switch (access) {
    case PathAccess::kRead:
      return kReadFile | kReadDir;
    case PathAccess::kExecute:
      return kReadFile | kReadDir | kExecute;
    case PathAccess::kWrite:
      return ~0ull;  // masked by what the ruleset handles
  }
  return 0;
}

}  // namespace

int LandlockAbi() {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           kCreateRulesetVersion);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

LandlockRuleset::LandlockRuleset(int abi) {
  handled_ = HandledFor(abi);
  RulesetAttr attr{handled_, 0, 0};
  std::size_t size = sizeof(std::uint64_t);
  if (abi >= 6) {
    // Signals and abstract sockets stay inside the domain: an instance can
    // neither signal nor connect to another instance or the gateway.
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    size = sizeof(RulesetAttr);
  }
  const long fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (fd < 0) {
    Fail("landlock_create_ruleset", errno);
    return;
  }
  fd_ = static_cast<int>(fd);
}

LandlockRuleset::~LandlockRuleset() {
  if (fd_ >= 0) close(fd_);
}

void LandlockRuleset::Fail(const std::string& what, int error_number) {
  if (error_.empty()) error_ = what + ": " + std::strerror(error_number);
}

bool LandlockRuleset::Allow(const std::string& path, PathAccess access) {
  if (fd_ < 0) return false;
  const int path_fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (path_fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) Fail("open " + path, errno);
    return false;
  }
  struct stat st {};
  if (fstat(path_fd, &st) != 0) {
    Fail("stat " + path, errno);
    close(path_fd);
    return false;
  }
  std::uint64_t rights = RightsFor(access) & handled_;
  if (!S_ISDIR(st.st_mode)) rights &= kFileRights;
  PathBeneathAttr attr{rights, path_fd};
  const long rc =
      syscall(SYS_landlock_add_rule, fd_, kRulePathBeneath, &attr, 0);
  const int error_number = errno;
  close(path_fd);
  if (rc != 0) {
    Fail("landlock_add_rule " + path, error_number);
    return false;
  }
  return true;
}

bool LandlockRuleset::Restrict() {
  if (!ok()) return false;
  if (syscall(SYS_landlock_restrict_self, fd_, 0) != 0) {
    Fail("landlock_restrict_self", errno);
    return false;
  }
  return true;
}

}  // namespace mcpgw::sandbox
