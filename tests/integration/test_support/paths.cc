#include "test_support/paths.h"

#include <cstdlib>
#include <filesystem>

#ifndef MCP_GATEWAY_BIN
#error "MCP_GATEWAY_BIN must be defined by the build"
#endif
#ifndef MCP_GATEWAY_DEFAULT_NODE
#error "MCP_GATEWAY_DEFAULT_NODE must be defined by the build"
#endif
#ifndef MCP_GATEWAY_DEFAULT_DBHUB
#error "MCP_GATEWAY_DEFAULT_DBHUB must be defined by the build"
#endif

namespace mcpgw::it {
namespace {

std::string FromEnv(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : fallback;
}

}  // namespace

std::string GatewayBinary() {
  return FromEnv("MCP_GATEWAY_BIN", MCP_GATEWAY_BIN);
}

std::string NodeBinary() {
  return FromEnv("MCP_GATEWAY_NODE", MCP_GATEWAY_DEFAULT_NODE);
}

std::string DbhubEntry() {
  return FromEnv("MCP_GATEWAY_DBHUB", MCP_GATEWAY_DEFAULT_DBHUB);
}

std::string PostgresBinDir() {
  return FromEnv("MCP_GATEWAY_PG_BIN", "/usr/lib/postgresql/15/bin");
}

std::string ServerEverythingEntry() {
  if (const char* env = std::getenv("MCP_GATEWAY_SERVER_EVERYTHING")) return env;
  // <deps>/node_modules/.bin/node -> <deps>/node_modules/@modelcontextprotocol/...
  const auto node_modules =
      std::filesystem::path(NodeBinary()).parent_path().parent_path();
  return (node_modules / "@modelcontextprotocol" / "server-everything" /
          "dist" / "index.js")
      .string();
}

}  // namespace mcpgw::it
