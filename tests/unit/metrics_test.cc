// The metrics registry's exposition, the request description behind its
// labels, and the webhook signature.

#include "gateway/observability/metrics.h"

#include <gtest/gtest.h>

#include "common/clock.h"

#include "gateway/mcp/jsonrpc_body.h"
#include "gateway/mcp/mcp_request_info.h"
#include "gateway/observability/webhooks.h"
#include "policies/target.h"

namespace mcpgw::gateway {
namespace {

namespace rpc_code = policies::rpc_code;

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, RendersRequestsRefusalsAndPoolEvents) {
  GatewayMetrics metrics;
  metrics.SetPoolStats([] {
    runtime::PoolStats stats;
    stats.ready = 2;
    stats.starting = 1;
    stats.open_streams = 3;
    stats.max_instances = 8;
    return stats;
  });
  metrics.RecordRequest({"tools/call", outcome::kOk, 0.02, 0.015, 100, 250});
  metrics.RecordRequest({"tools/call", outcome::kOk, 0.03, 0.02, 100, 250});
  metrics.RecordRefusal(rpc_code::kMissingCredentials, 401);
  runtime::PoolEvent event;
  event.type = runtime::PoolEvent::Type::kStarting;
  metrics.OnPoolEvent(event);
  event.type = runtime::PoolEvent::Type::kReady;
  event.spawn_latency = std::chrono::milliseconds(900);
  metrics.OnPoolEvent(event);
  event.spawn_kind = runtime::SpawnKind::kWarm;
  event.spawn_latency = std::chrono::milliseconds(5);
  metrics.OnPoolEvent(event);
  event.type = runtime::PoolEvent::Type::kStopping;
  event.stop_reason = runtime::StopReason::kEvicted;
  metrics.OnPoolEvent(event);
  event.stop_reason = runtime::StopReason::kIdle;
  metrics.OnPoolEvent(event);

  const std::string text = metrics.Render();
  EXPECT_TRUE(Has(text, "mcp_gateway_requests_total{method=\"tools/call\",outcome=\"ok\"} 2")) << text;
  EXPECT_TRUE(Has(text, "mcp_gateway_request_duration_seconds_count{method=\"tools/call\"} 2"));
  EXPECT_TRUE(Has(text, "mcp_gateway_backend_duration_seconds_count{method=\"tools/call\"} 2"));
  EXPECT_TRUE(Has(text, "mcp_gateway_bytes_total{direction=\"in\"} 200"));
  EXPECT_TRUE(Has(text, "mcp_gateway_bytes_total{direction=\"out\"} 500"));
  EXPECT_TRUE(Has(text, "mcp_gateway_refusals_total{code=\"-31001\",reason=\"missing_credentials\"} 1")) << text;
  EXPECT_TRUE(Has(text, "mcp_gateway_spawns_total{kind=\"cold\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_spawn_duration_seconds_count{kind=\"cold\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_spawns_total{kind=\"warm\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_spawn_duration_seconds_count{kind=\"warm\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_evictions_total 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_reaps_total{reason=\"idle\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_instances{state=\"ready\"} 2"));
  EXPECT_TRUE(Has(text, "mcp_gateway_instances{state=\"starting\"} 1"));
  EXPECT_TRUE(Has(text, "mcp_gateway_open_streams 3"));
  EXPECT_TRUE(Has(text, "mcp_gateway_max_instances 8"));
  EXPECT_TRUE(Has(text, "mcp_gateway_sessions 0"));
}

TEST(MetricsTest, LabelsAreBounded) {
  EXPECT_EQ(MethodLabel("tools/call"), "tools/call");
  EXPECT_EQ(MethodLabel("postgres://u:secret@h/db"), "other");
  EXPECT_EQ(MethodLabel(std::string(1000, 'x')), "other");
  EXPECT_EQ(RefusalReason(rpc_code::kNoCapacity, 503), "capacity");
  EXPECT_EQ(RefusalReason(-32600, 404), "not_found");
  EXPECT_EQ(RefusalReason(-32600, 400), "other");
}

TEST(McpRequestInfoTest, MethodAndToolName) {
  auto info = DescribeMcpRequest(
      http::verb::post,
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_sql"}})");
  EXPECT_EQ(info.method, "tools/call");
  EXPECT_EQ(info.tool, "execute_sql");
  EXPECT_EQ(DescribeMcpRequest(http::verb::post, "[{}]").method, "batch");
  EXPECT_EQ(DescribeMcpRequest(http::verb::post, "nope").method, "invalid");
  EXPECT_EQ(DescribeMcpRequest(http::verb::post, R"({"method":5})").method,
            "invalid");
  EXPECT_EQ(DescribeMcpRequest(http::verb::post, R"("tools/call")").method,
            "invalid");
  EXPECT_EQ(DescribeMcpRequest(http::verb::post,
                               R"({"method":"tools/call","params":[]})").tool,
            "");
  EXPECT_EQ(DescribeMcpRequest(http::verb::get, "").method, "GET");
  const auto odd = DescribeMcpRequest(
      http::verb::post, R"({"method":"a b\nc)" + std::string(200, 'z') + "\"}");
  EXPECT_EQ(odd.method.size(), 64u);
  EXPECT_EQ(odd.method.substr(0, 5), "a_b_c");
}

TEST(McpRequestInfoTest, ParsedBodyIsDescribedTheSame) {
  for (const std::string& body :
       {std::string(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"q"}})"),
        std::string("[{}]"), std::string("nope"), std::string(""),
        std::string(R"({"method":7})")}) {
    const auto direct = DescribeMcpRequest(http::verb::post, body);
    const auto parsed =
        DescribeParsedMcpRequest(http::verb::post, ParseBodyJson(body));
    EXPECT_EQ(parsed.method, direct.method) << body;
    EXPECT_EQ(parsed.tool, direct.tool) << body;
  }
  EXPECT_EQ(DescribeParsedMcpRequest(http::verb::delete_, ParseBodyJson("{}")).method,
            "DELETE");
}

TEST(WebhookTest, SignatureIsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookTest, AFullQueueDropsTheOldestAndCountsIt) {
  GatewayMetrics metrics;
  WebhookOptions options;
  options.urls = {"http://127.0.0.1:9/never-started"};
  options.queue_capacity = 2;
  const common::SystemClock clock;
  WebhookNotifier notifier(options, clock, &metrics);  // not started: nothing sent
  for (int i = 0; i < 5; ++i) notifier.Enqueue({{"event", "test"}, {"n", i}});
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("mcp_gateway_webhook_events_total{result=\"dropped\"} 3\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mcpgw::gateway
