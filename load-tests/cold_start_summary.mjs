// Summary step of cold_start.sh: reads the samples of every mode in $MODES (seconds per
// first request) and the warm pool's counters from $TMP, prints p50/p99 per mode and
// the ratios to the pool mode,
// writes the results file ($OUT, if set) and, in smoke mode, fails unless the pool
// served at least one first request. Inputs come from the environment.
import { runFacts } from "./lib/run_facts.mjs";
import { readFileSync, writeFileSync } from "node:fs";

const env = process.env;
const r1 = (x) => Math.round(x * 10) / 10;
// Nearest-rank percentile of sorted values.
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function mode(name) {
  const ms = readFileSync(`${env.TMP}/${name}.tsv`, "utf8").trim().split("\n")
    .map((line) => Number(line.split("\t")[1]) * 1000);
  const sorted = [...ms].sort((a, b) => a - b);
  const pool = JSON.parse(readFileSync(`${env.TMP}/${name}-pool.json`, "utf8"));
  return {
    first_requests: ms.length,
    latency_ms: {
      min: r1(sorted[0]), p50: r1(percentile(sorted, 50)), p90: r1(percentile(sorted, 90)),
      p99: r1(percentile(sorted, 99)), max: r1(sorted[sorted.length - 1]),
      mean: r1(ms.reduce((a, b) => a + b, 0) / ms.length),
    },
    warm_pool: pool,
    // The gateway process alone (warm workers and instances are processes of their
    // own), started and, in the pool mode, with its pool full, before any request.
    gateway_rss_kb_at_rest: Number(readFileSync(`${env.TMP}/${name}-rss`, "utf8").trim()),
    samples_ms: ms.map(r1),
  };
}

const modes = Object.fromEntries(env.MODES.split(",").map((name) => [name, mode(name)]));
const ratio = (name, key) =>
  modes.pool && modes[name] ? r1(modes[name].latency_ms[key] / modes.pool.latency_ms[key]) : undefined;
const result = {
  benchmark: "cold_start",
  what: "first request for a DSN the gateway has never seen (tools/call execute_sql on a new " +
    "SQLite file) -> complete answer, measured by curl on loopback; one request at a time, " +
    `${env.PACE} s apart (${env.PACE_OTHER} s without a pool). Modes: 'pool' = process runtime with a warm pool of ${env.POOL}, ` +
    "'bare' = process runtime with --warm-pool=0, 'docker' = docker runtime (Podman)",
  ...runFacts(env, "cold_start.sh"),
  software: { node: env.NODE_VERSION, dbhub: env.DBHUB_VERSION },
  parameters: {
    modes: env.MODES.split(","), dsns_per_mode: Number(env.DSNS), pace_s: Number(env.PACE), pace_other_s: Number(env.PACE_OTHER),
    pool_size: Number(env.POOL), image: modes.docker ? env.IMAGE : undefined,
    docker_host: modes.docker ? env.DOCKER_HOST_ARG : undefined,
  },
  comparison: {
    p50_bare_over_pool: ratio("bare", "p50"), p99_bare_over_pool: ratio("bare", "p99"),
    p50_docker_over_pool: ratio("docker", "p50"), p99_docker_over_pool: ratio("docker", "p99"),
  },
  ...modes,
};

const line = (name, m) =>
  `  ${name.padEnd(6)} ${String(m.first_requests).padStart(6)} ${String(m.warm_pool.hits ?? 0).padStart(5)} ` +
  `${String(m.warm_pool.misses ?? 0).padStart(6)} ` +
  ["min", "p50", "p90", "p99", "max"].map((k) => m.latency_ms[k].toFixed(1).padStart(8)).join(" ");
console.log([
  `cold_start: ${env.DSNS} new DSNs per mode, ${env.PACE} s apart, DBHub ${env.DBHUB_VERSION}, node ${env.NODE_VERSION}`,
  `  ${"mode".padEnd(6)} ${"DSNs".padStart(6)} ${"hits".padStart(5)} ${"misses".padStart(6)} ` +
    ["min ms", "p50 ms", "p90 ms", "p99 ms", "max ms"].map((h) => h.padStart(8)).join(" "),
  ...Object.entries(modes).map(([name, m]) => line(name, m)),
  ...Object.keys(modes).filter((name) => name !== "pool" && modes.pool).map((name) =>
    `  ${name}/pool: p50 ${ratio(name, "p50")}x, p99 ${ratio(name, "p99")}x`),
  modes.pool ? `  pool refill mean: ${modes.pool.warm_pool.mean_refill_ms} ms` : "",
  `  gateway RSS at rest (the gateway process only): ` +
    Object.entries(modes).map(([name, m]) => `${name} ${(m.gateway_rss_kb_at_rest / 1024).toFixed(1)} MiB`).join(", "),
  `  machine: ${env.NPROC} CPUs (${env.CPU_MODEL}), load average before ${env.LOADAVG_BEFORE}, after ${env.LOADAVG_AFTER}`,
].filter(Boolean).join("\n"));

if (env.OUT) {
  writeFileSync(env.OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(`  results: ${env.OUT}`);
}
if (env.SMOKE === "1") {
  if (!(modes.pool?.warm_pool.hits > 0)) {
    console.error("cold_start: SMOKE FAILED: the warm pool served no first request");
    process.exit(1);
  }
  console.log("cold_start: smoke OK (every first request answered, the pool served some; timings not checked)");
}
