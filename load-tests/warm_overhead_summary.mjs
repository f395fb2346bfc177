// Summary step of warm_overhead.sh: reads the mcp-load results of every round from
// $TMP, prints the comparison, writes the results file ($OUT, if set) and, in smoke
// mode, fails unless every request was OK. Inputs come from the environment.
import { runFacts } from "./lib/run_facts.mjs";
import { readFileSync, statSync, writeFileSync } from "node:fs";

const env = process.env;
const rounds = Number(env.ROUNDS);
const read = (name) => JSON.parse(readFileSync(`${env.TMP}/${name}.json`, "utf8"));
const readText = (name) => {
  try { return readFileSync(`${env.TMP}/${name}`, "utf8").trim(); } catch { return null; }
};
const r3 = (x) => Math.round(x * 1000) / 1000;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const direct = [], gateway = [];
for (let r = 1; r <= rounds; r++) {
  direct.push(read(`direct-${r}`));
  gateway.push(read(`gateway-${r}`));
}

// Overall rate: all requests over all measured time, per target.
const rate = (runs) =>
  runs.reduce((a, j) => a + j.requests, 0) / runs.reduce((a, j) => a + j.duration_s, 0);
const perRound = direct.map((d, i) => {
  const g = gateway[i];
  return {
    round: i + 1,
    direct_rps: d.rps, gateway_rps: g.rps,
    rps_ratio: d.rps > 0 ? r3(g.rps / d.rps) : null,
    added_p50_ms: r3(g.latency_ms.p50 - d.latency_ms.p50),
    added_p99_ms: r3(g.latency_ms.p99 - d.latency_ms.p99),
  };
});
const comparison = {
  rps_direct: r3(rate(direct)),
  rps_gateway: r3(rate(gateway)),
  rps_ratio_gateway_over_direct: r3(rate(gateway) / rate(direct)),
  added_p50_ms: r3(median(perRound.map((p) => p.added_p50_ms))),
  added_p99_ms: r3(median(perRound.map((p) => p.added_p99_ms))),
  note: rounds > 1 ? "rates pooled over rounds; added latencies are medians over rounds" : undefined,
};

const instancePids = (env.INSTANCE_PIDS || "").split(" ").filter(Boolean);
const result = {
  benchmark: "warm_overhead",
  what: "execute_sql on a warm DBHub: (a) direct to a DBHub started by the script, " +
    "(b) through mcp-gateway (X-DBHub-DSN) to the DBHub the gateway spawned for the same DSN " +
    "(same node binary, same DBHub, same DSN, same environment). Closed loop, loopback only.",
  ...runFacts(env, "warm_overhead.sh"),
  software: {
    node: env.NODE_VERSION, dbhub: env.DBHUB_VERSION,
    gateway: { path: env.GATEWAY, modified: statSync(env.GATEWAY).mtime.toISOString() },
    mcp_load: env.LOAD,
  },
  parameters: {
    concurrency: Number(env.CONCURRENCY), duration_s: Number(env.DURATION),
    warmup_s: Number(env.WARMUP), rounds, sql: env.SQL, rows: Number(env.ROWS),
    database: "SQLite file in a temp dir",
  },
  backends: {
    direct_dbhub: { pid: Number(env.DBHUB_PID), cmdline: readText("direct.cmdline") },
    gateway_instances: instancePids.map((pid) => ({
      pid: Number(pid), cmdline: readText(`instance-${pid}.cmdline`),
    })),
  },
  first_gateway_request_ms: read("first").latency_ms.max,
  comparison,
  rounds: perRound,
  direct, gateway,
};

const line = (name, j) =>
  `  ${name.padEnd(8)} ${String(j.requests).padStart(8)} ${String(j.errors).padStart(6)} ` +
  `${j.rps.toFixed(1).padStart(9)} ${j.latency_ms.p50.toFixed(2).padStart(8)} ` +
  `${j.latency_ms.p90.toFixed(2).padStart(8)} ${j.latency_ms.p99.toFixed(2).padStart(8)} ` +
  `${j.latency_ms.max.toFixed(2).padStart(8)}`;
const out = [];
out.push(`warm_overhead: concurrency ${env.CONCURRENCY}, ${env.DURATION} s per target and round ` +
  `(after ${env.WARMUP} s warm-up), ${rounds} round(s), SQL: ${env.SQL}`);
out.push(`  direct  = DBHub ${env.DBHUB_VERSION} started by this script (pid ${env.DBHUB_PID})`);
out.push(`  gateway = mcp-gateway -> the DBHub it spawned for the same DSN (pid ${instancePids.join(", ")}):` +
  ` same node ${env.NODE_VERSION}, same DBHub, same DSN`);
out.push(`  ${"target".padEnd(8)} ${"requests".padStart(8)} ${"errors".padStart(6)} ${"req/s".padStart(9)} ` +
  `${"p50 ms".padStart(8)} ${"p90 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)}`);
for (let i = 0; i < rounds; i++) {
  out.push(line("direct", direct[i]));
  out.push(line("gateway", gateway[i]));
}
out.push(`  requests/s gateway/direct: ${comparison.rps_ratio_gateway_over_direct}` +
  `   added p50: ${comparison.added_p50_ms} ms   added p99: ${comparison.added_p99_ms} ms`);
out.push(`  machine: ${env.NPROC} CPUs (${env.CPU_MODEL}), load average before ${env.LOADAVG_BEFORE}, after ${env.LOADAVG_AFTER}`);
console.log(out.join("\n"));

if (env.OUT) {
  writeFileSync(env.OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(`  results: ${env.OUT}`);
}

const bad = [...direct, ...gateway].filter((j) => j.requests === 0 || j.errors > 0 || j.ok !== j.requests);
if (bad.length) {
  for (const j of bad) {
    console.error(`warm_overhead: ${j.label}: ${j.requests} requests, ${j.errors} errors` +
      (j.sample_error ? ` (${j.sample_error})` : ""));
  }
  console.error(env.SMOKE === "1" ? "warm_overhead: SMOKE FAILED" : "warm_overhead: errors; figures are not valid");
  process.exit(1);
}
if (env.SMOKE === "1") console.log("warm_overhead: smoke OK (all requests OK; timings not checked)");
