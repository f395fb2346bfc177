// Summary step of spawn_storm.sh: checks and prints both parts, writes $OUT.
import { finishCheckedSummary, runFacts } from "./lib/run_facts.mjs";
import { readFileSync } from "node:fs";

const env = process.env;
const read = (name) => JSON.parse(readFileSync(`${env.TMP}/${name}.json`, "utf8"));
const n = (name) => Number(env[name]);
const one = read("one"), many = read("many");
const lat = (j) => ({ p50_ms: j.latency_ms.p50, p90_ms: j.latency_ms.p90, p99_ms: j.latency_ms.p99, max_ms: j.latency_ms.max });

const checks = [];
const check = (ok, what) => checks.push({ ok, what });
check(one.ok === n("BURST") && one.requests === n("BURST"), `one: all ${n("BURST")} requests answered OK (got ${one.ok})`);
check(n("ONE_SPAWNS") === 1, `one: exactly one spawn (got ${n("ONE_SPAWNS")})`);
check(n("ONE_INSTANCES") === 1, `one: one instance listed (got ${n("ONE_INSTANCES")})`);
check(many.ok === n("DSNS") && many.requests === n("DSNS"), `many: all ${n("DSNS")} requests answered OK (got ${many.ok})`);
check(n("MANY_PEAK") <= n("MAX"), `many: live instances never above --max-instances ${n("MAX")} (peak ${n("MANY_PEAK")})`);
check(n("MANY_SPAWNS") >= n("DSNS"), `many: at least one spawn per DSN (got ${n("MANY_SPAWNS")})`);

const result = {
  benchmark: "spawn_storm",
  what: "one: concurrent first requests for one new DSN; many: concurrent first requests for " +
    "as many new DSNs, bounded by --max-instances (503 + Retry-After, retried by the client).",
  ...runFacts(env, "spawn_storm.sh"),
  one: {
    backend: env.ONE_BACKEND, concurrent_requests: n("BURST"), ok: one.ok, errors: one.errors,
    spawns: n("ONE_SPAWNS"), spawn_failures: n("ONE_FAILURES"), instances: n("ONE_INSTANCES"),
    latency: lat(one), mcp_load: one,
  },
  many: {
    backend: env.MANY_BACKEND, dsns: n("DSNS"), max_instances: n("MAX"), ok: many.ok,
    errors: many.errors, retried: many.retried, spawns: n("MANY_SPAWNS"),
    spawn_failures: n("MANY_FAILURES"), evictions: n("MANY_EVICTIONS"),
    refusals: n("MANY_REFUSALS"), peak_live_instances: n("MANY_PEAK"),
    latency: lat(many), mcp_load: many,
  },
  checks,
};
const out = [];
out.push(`spawn_storm one: ${n("BURST")} concurrent first requests for one DSN (${env.ONE_BACKEND}): ` +
  `${one.ok} OK, ${n("ONE_SPAWNS")} spawn(s); latency p50 ${one.latency_ms.p50} ms, p99 ${one.latency_ms.p99} ms, max ${one.latency_ms.max} ms`);
out.push(`spawn_storm many: ${n("DSNS")} concurrent first requests for ${n("DSNS")} DSNs (${env.MANY_BACKEND}), ` +
  `--max-instances ${n("MAX")}: ${many.ok} OK, ${many.retried} retries after 503, ${n("MANY_SPAWNS")} spawns, ` +
  `${n("MANY_EVICTIONS")} evictions, peak ${n("MANY_PEAK")} live; latency p50 ${many.latency_ms.p50} ms, ` +
  `p99 ${many.latency_ms.p99} ms, max ${many.latency_ms.max} ms`);
finishCheckedSummary(env, "spawn_storm", out, result, checks, [one, many]);
