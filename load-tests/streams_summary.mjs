// Summary step of streams.sh: time to first event (direct and through the gateway),
// the gateway's memory per open stream, the checks, and $OUT.
import { finishCheckedSummary, runFacts } from "./lib/run_facts.mjs";
import { readFileSync } from "node:fs";

const env = process.env;
const n = (name) => (env[name] === undefined || env[name] === "" ? NaN : Number(env[name]));
const read = (name) => JSON.parse(readFileSync(`${env.TMP}/${name}.json`, "utf8"));
const direct = read("direct"), gateway = read("gateway");
const streams = n("STREAMS");
const perStreamBytes = Math.round(((n("OPEN_RSS_KB") - n("BASE_RSS_KB")) * 1024) / gateway.opened);
const memory = {
  rss_kb_baseline: n("BASE_RSS_KB"), rss_kb_all_open: n("OPEN_RSS_KB"), rss_kb_after: n("AFTER_RSS_KB"),
  bytes_per_stream: perStreamBytes,
  fds_baseline: n("BASE_FDS"), fds_all_open: n("OPEN_FDS"), fds_after: n("AFTER_FDS"),
  open_streams_metric: n("OPEN_STREAMS_METRIC"),
  goal: "<= 8 KB per idle stream",
  goal_met: perStreamBytes <= 8 * 1024,
};
const checks = [];
const check = (ok, what) => checks.push({ ok, what });
for (const [name, j] of [["direct", direct], ["gateway", gateway]]) {
  check(j.opened === streams, `${name}: all ${streams} streams opened (got ${j.opened})`);
  check(j.closed_early === 0, `${name}: none closed before the end of the hold (got ${j.closed_early})`);
}
check(Number.isFinite(n("OPEN_RSS_KB")), "gateway sampled with every stream open");
check(n("AFTER_FDS") <= n("BASE_FDS"), `gateway closed every stream once its client left (fds ${n("BASE_FDS")} before, ${n("AFTER_FDS")} after)`);

const result = {
  benchmark: "streams",
  what: "concurrent SSE answers (mcp-responder's hold tool: a notification at once, then one per " +
    "interval) held open straight to a responder and through mcp-gateway; gateway RSS and fds " +
    "with the instance warm, with all streams open, and after.",
  ...runFacts(env, "streams.sh"),
  parameters: { streams, hold_s: n("HOLD"), interval_ms: n("INTERVAL_MS") },
  time_to_first_event_ms: { direct: direct.ttfe_ms, gateway: gateway.ttfe_ms },
  all_open_s: { direct: direct.all_open_s, gateway: gateway.all_open_s },
  memory,
  checks,
  direct, gateway,
};
const out = [];
out.push(`streams: ${streams} concurrent SSE streams, held ${env.HOLD} s once all open`);
for (const [name, j] of [["direct", direct], ["gateway", gateway]]) {
  out.push(`  ${name.padEnd(8)} opened ${j.opened}, all open after ${j.all_open_s} s; time to first event ` +
    `p50 ${j.ttfe_ms.p50} ms, p99 ${j.ttfe_ms.p99} ms, max ${j.ttfe_ms.max} ms`);
}
out.push(`  gateway RSS ${(memory.rss_kb_baseline / 1024).toFixed(1)} MiB -> ${(memory.rss_kb_all_open / 1024).toFixed(1)} MiB ` +
  `open -> ${(memory.rss_kb_after / 1024).toFixed(1)} MiB after: ${perStreamBytes} bytes per stream ` +
  `(goal <= 8 KB: ${memory.goal_met ? "met" : "missed"}); fds ${memory.fds_baseline} -> ${memory.fds_all_open} -> ${memory.fds_after}`);
finishCheckedSummary(env, "streams", out, result, checks, [direct, gateway]);
