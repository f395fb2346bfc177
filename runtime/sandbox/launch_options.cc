#include "runtime/sandbox/launch_options.h"

#include <charconv>
#include <limits>

namespace mcpgw::sandbox {
namespace {

template <typename Int>
std::optional<Int> ParseId(const std::string& text) {
  long long value = -1;
  const auto* end = text.data() + text.size();
  auto [at, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || at != end || value < 0 ||
      value > static_cast<long long>(std::numeric_limits<Int>::max())) {
    return std::nullopt;
  }
  return static_cast<Int>(value);
}

}  // namespace

std::variant<LaunchOptions, std::string> ParseLaunchOptions(
    const std::vector<std::string>& args) {
  LaunchOptions options;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--") {
      ++i;
      break;
    }
    if (flag == "--no-landlock") {
      options.landlock = false;
      continue;
    }
    if (i + 1 >= args.size()) return flag + " needs a value";
    const std::string& value = args[++i];
    if (flag == "--uid" || flag == "--gid" || flag == "--parent") {
      if (flag == "--uid") options.uid = ParseId<uid_t>(value);
      if (flag == "--gid") options.gid = ParseId<gid_t>(value);
      if (flag == "--parent") options.parent = ParseId<pid_t>(value);
      const bool parsed = flag == "--uid"   ? options.uid.has_value()
                          : flag == "--gid" ? options.gid.has_value()
                                            : options.parent.has_value();
      if (!parsed) return flag + " takes a non-negative number, not '" + value + "'";
    } else if (flag == "--read" || flag == "--exec" || flag == "--write") {
      if (value.empty() || value.front() != '/') {
        return flag + " takes an absolute path, not '" + value + "'";
      }
      auto& list = flag == "--read"   ? options.read
                   : flag == "--exec" ? options.exec
                                      : options.write;
      list.push_back(value);
    } else {
      return "unknown option '" + flag + "'";
    }
  }
  if (options.uid.has_value() != options.gid.has_value()) {
    return "--uid and --gid go together";
  }
  options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (options.command.empty() || options.command.front().empty() ||
      options.command.front().front() != '/') {
    return "expected -- and the absolute path of the program to run";
  }
  return options;
}

std::optional<std::string> AddWritePathsFromEnv(const std::string& value,
                                                LaunchOptions& options) {
  std::size_t start = 0;
  while (start < value.size()) {
    auto end = value.find('\n', start);
    if (end == std::string::npos) end = value.size();
    const std::string path = value.substr(start, end - start);
    if (!path.empty()) {
      if (path.front() != '/') {
        return std::string(kWritePathsEnv) + " holds a path that is not absolute";
      }
      options.write.push_back(path);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::vector<std::string> LaunchArguments(const LaunchOptions& options) {
  std::vector<std::string> args;
  if (options.uid && options.gid) {
    args.insert(args.end(), {"--uid", std::to_string(*options.uid), "--gid",
                             std::to_string(*options.gid)});
  }
  if (options.parent) {
    args.insert(args.end(), {"--parent", std::to_string(*options.parent)});
  }
  if (!options.landlock) args.push_back("--no-landlock");
  for (const auto& path : options.read) args.insert(args.end(), {"--read", path});
  for (const auto& path : options.exec) args.insert(args.end(), {"--exec", path});
  for (const auto& path : options.write) args.insert(args.end(), {"--write", path});
  args.push_back("--");
  args.insert(args.end(), options.command.begin(), options.command.end());
  return args;
}

}  // namespace mcpgw::sandbox
