// Summary step of churn.sh: the checks (all answered, all reaped, no process left),
// the gateway's memory over the run, and $OUT.
import { finishCheckedSummary, runFacts } from "./lib/run_facts.mjs";
import { readFileSync } from "node:fs";

const env = process.env;
const n = (name) => Number(env[name]);
const load = JSON.parse(readFileSync(`${env.TMP}/churn.json`, "utf8"));
const timeline = readFileSync(`${env.TMP}/timeline.tsv`, "utf8").trim().split("\n").filter(Boolean)
  .map((l) => l.split("\t").map(Number)).map(([t, rss_kb, live, processes]) => ({ t, rss_kb, live, processes }));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};
// Flat memory: the median RSS of the last quarter against that of the second quarter
// (the first seconds fill allocator pools and are not "growth").
const q = Math.floor(timeline.length / 4);
const early = median(timeline.slice(q, 2 * q).map((s) => s.rss_kb));
const late = median(timeline.slice(3 * q).map((s) => s.rss_kb));
const memory = {
  rss_kb_at_rest_before: n("RSS_REST_BEFORE"),
  rss_kb_at_rest_after: n("RSS_REST_AFTER"),
  rss_kb_peak: Math.max(...timeline.map((s) => s.rss_kb)),
  rss_kb_median_second_quarter: early,
  rss_kb_median_last_quarter: late,
  growth_kb: q > 0 ? late - early : null,  // too short a run to tell
};
const checks = [];
const check = (ok, what) => checks.push({ ok, what });
check(load.requests > 0 && load.ok === load.requests, `all ${load.requests} requests answered OK (got ${load.ok})`);
check(n("REAPED_ALL") === 1, "every instance reaped after the idle timeout");
check(n("LEFT_WHILE_RUNNING") === 0, `no backend process left while the gateway runs (got ${n("LEFT_WHILE_RUNNING")})`);
check(n("LEFT_AFTER_STOP") === 0, `no backend process left after the gateway stopped (got ${n("LEFT_AFTER_STOP")})`);
check(n("SPAWN_FAILURES") === 0 && n("CRASHES") === 0, `no failed spawn, no crash (${n("SPAWN_FAILURES")}, ${n("CRASHES")})`);

const result = {
  benchmark: "churn",
  what: `open loop over many DSNs with a short idle timeout: instances started and reaped all ` +
    `the time (backend ${env.BACKEND}); gateway memory and leftover processes.`,
  ...runFacts(env, "churn.sh"),
  parameters: {
    duration_s: n("DURATION"), rate: n("RATE"), dsns: n("DSNS"), concurrency: n("CONCURRENCY"),
    idle_timeout_s: n("IDLE"), max_instances: n("MAX"), backend: env.BACKEND, session: env.SESSION === "1",
  },
  counters: {
    spawns: n("SPAWNS"), reaps: n("REAPS"), evictions: n("EVICTIONS"),
    spawn_failures: n("SPAWN_FAILURES"), crashes: n("CRASHES"), retried_503: load.retried,
  },
  memory,
  latency_ms: load.latency_ms,
  checks,
  timeline,
  mcp_load: load,
};
const out = [];
out.push(`churn: ${env.DURATION} s at ${env.RATE} req/s over ${env.DSNS} DSNs (${env.BACKEND}), ` +
  `idle timeout ${env.IDLE} s, max ${env.MAX} instances`);
out.push(`  ${load.requests} requests, ${load.ok} OK, ${load.retried} retries after 503; latency p50 ` +
  `${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms`);
out.push(`  spawns ${n("SPAWNS")}, reaps ${n("REAPS")}, evictions ${n("EVICTIONS")}, peak live ` +
  `${Math.max(0, ...timeline.map((s) => s.live))}, peak backend processes ${Math.max(0, ...timeline.map((s) => s.processes))}`);
out.push(`  gateway RSS: ${(memory.rss_kb_at_rest_before / 1024).toFixed(1)} MiB at rest before, peak ` +
  `${(memory.rss_kb_peak / 1024).toFixed(1)} MiB, ${(memory.rss_kb_at_rest_after / 1024).toFixed(1)} MiB at rest after; ` +
  `growth (last vs second quarter) ${memory.growth_kb} KiB`);
finishCheckedSummary(env, "churn", out, result, checks, [load]);
