// Summary step of raw_proxy.sh: reads the mcp-load results of every round from $TMP,
// prints the comparison (gateway vs nginx, both vs direct), writes the results file
// ($OUT, if set) and fails unless every request was OK.
import { runFacts } from "./lib/run_facts.mjs";
import { readFileSync, writeFileSync } from "node:fs";

const env = process.env;
const rounds = Number(env.ROUNDS);
const read = (name) => JSON.parse(readFileSync(`${env.TMP}/${name}.json`, "utf8"));
const r3 = (x) => Math.round(x * 1000) / 1000;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const targets = ["direct", "nginx", "gateway"];
const runs = Object.fromEntries(targets.map((t) => [t, []]));
for (let r = 1; r <= rounds; r++) for (const t of targets) runs[t].push(read(`${t}-${r}`));
const rate = (xs) => xs.reduce((a, j) => a + j.requests, 0) / xs.reduce((a, j) => a + j.duration_s, 0);
const pct = (xs, p) => median(xs.map((j) => j.latency_ms[p]));
const summary = Object.fromEntries(targets.map((t) => [t, {
  rps: r3(rate(runs[t])), p50_ms: r3(pct(runs[t], "p50")), p90_ms: r3(pct(runs[t], "p90")),
  p99_ms: r3(pct(runs[t], "p99")), max_ms: r3(Math.max(...runs[t].map((j) => j.latency_ms.max))),
}]));
// CPU of the proxy per request (warm-up included: the ticks cover the whole mcp-load run).
const readTicks = (name) => { try { return Number(readFileSync(`${env.TMP}/${name}.ticks`, "utf8")); } catch { return NaN; } };
const cpuUs = (t) => {
  let ticks = 0, reqs = 0;
  for (let r = 1; r <= rounds; r++) {
    ticks += readTicks(`${t}-${r}`);
    const j = read(`${t}-${r}`);
    reqs += j.requests + j.warmup.requests;
  }
  return r3((ticks / Number(env.CLK_TCK)) * 1e6 / reqs);
};
for (const t of ["nginx", "gateway"]) summary[t].proxy_cpu_us_per_request = cpuUs(t);
const comparison = {
  rps_ratio_gateway_over_nginx: r3(summary.gateway.rps / summary.nginx.rps),
  p99_ratio_gateway_over_nginx: r3(summary.gateway.p99_ms / summary.nginx.p99_ms),
  p50_gateway_minus_nginx_ms: r3(summary.gateway.p50_ms - summary.nginx.p50_ms),
  rps_ratio_gateway_over_direct: r3(summary.gateway.rps / summary.direct.rps),
  rps_ratio_nginx_over_direct: r3(summary.nginx.rps / summary.direct.rps),
  cpu_ratio_gateway_over_nginx: r3(summary.gateway.proxy_cpu_us_per_request / summary.nginx.proxy_cpu_us_per_request),
  goal: "gateway requests/s >= nginx's with p99 no worse",
  goal_met: summary.gateway.rps >= summary.nginx.rps && summary.gateway.p99_ms <= summary.nginx.p99_ms,
};
const result = {
  benchmark: "raw_proxy",
  what: "tools/call on mcp-responder (answers at once, SSE): direct, through nginx " +
    "(keep-alive upstream, proxy_buffering off) and through mcp-gateway (which spawned its own " +
    "responder for the DSN). Closed loop, same concurrency, interleaved, loopback only.",
  ...runFacts(env, "raw_proxy.sh"),
  software: { nginx: env.NGINX_VERSION, nginx_workers: Number(env.NGINX_WORKERS) },
  parameters: {
    concurrency: Number(env.CONCURRENCY), duration_s: Number(env.DURATION),
    warmup_s: Number(env.WARMUP), rounds,
  },
  gateway_rss_kb_after: Number(env.GATEWAY_RSS_KB),
  summary, comparison, runs,
};

const out = [];
out.push(`raw_proxy: concurrency ${env.CONCURRENCY}, ${env.DURATION} s per target and round, ${rounds} round(s); ` +
  `nginx ${env.NGINX_VERSION} with ${env.NGINX_WORKERS} workers`);
out.push(`  ${"target".padEnd(8)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p90 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
for (const t of targets) {
  const s = summary[t];
  out.push(`  ${t.padEnd(8)} ${s.rps.toFixed(1).padStart(9)} ${s.p50_ms.toFixed(3).padStart(8)} ` +
    `${s.p90_ms.toFixed(3).padStart(8)} ${s.p99_ms.toFixed(3).padStart(8)}`);
}
out.push(`  proxy CPU per request: nginx ${summary.nginx.proxy_cpu_us_per_request} µs, gateway ` +
  `${summary.gateway.proxy_cpu_us_per_request} µs (${comparison.cpu_ratio_gateway_over_nginx}x)`);
out.push(`  requests/s gateway/nginx: ${comparison.rps_ratio_gateway_over_nginx}   p99 gateway/nginx: ` +
  `${comparison.p99_ratio_gateway_over_nginx}   (goal: >= 1 and <= 1: ${comparison.goal_met ? "met" : "missed"})`);
out.push(`  machine: ${env.NPROC} CPUs, load average before ${env.LOADAVG_BEFORE}, after ${env.LOADAVG_AFTER}`);
console.log(out.join("\n"));
if (env.OUT) {
  writeFileSync(env.OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(`  results: ${env.OUT}`);
}
const bad = targets.flatMap((t) => runs[t]).filter((j) =>
  j.requests === 0 || j.errors > 0 || !j.sessions || j.sessions.failed > 0 || j.sessions.opened === 0);
if (bad.length) {
  for (const j of bad) {
    console.error(`raw_proxy: ${j.label}: ${j.requests} requests, ${j.errors} errors` +
      (j.sample_error ? ` (${j.sample_error})` : ""));
  }
  console.error(env.SMOKE === "1" ? "raw_proxy: SMOKE FAILED" : "raw_proxy: errors; figures are not valid");
  process.exit(1);
}
if (env.SMOKE === "1") console.log("raw_proxy: smoke OK (all requests OK; timings not checked)");
