#pragma once
// Where the programs under test are. Node and DBHub can be moved with
// MCP_GATEWAY_NODE / MCP_GATEWAY_DBHUB; the defaults are the project's .deps.

#include <string>

namespace mcpgw::it {

std::string GatewayBinary();  // MCP_GATEWAY_BIN (env) or the CMake target
std::string NodeBinary();     // MCP_GATEWAY_NODE or .deps/node_modules/.bin/node
std::string DbhubEntry();     // MCP_GATEWAY_DBHUB or .deps/.../dbhub/dist/index.js
std::string PostgresBinDir();  // MCP_GATEWAY_PG_BIN or /usr/lib/postgresql/15/bin
// MCP_GATEWAY_SERVER_EVERYTHING or the reference server installed beside
// DBHub by deploy/setup.sh.
std::string ServerEverythingEntry();

}  // namespace mcpgw::it
