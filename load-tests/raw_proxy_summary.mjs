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
const variants = env.VARIANT_LIST.split(" ").filter(Boolean);
// A proxy's CPU over one mcp-load run: [user, system] clock ticks (raw_proxy.sh's proxy_ticks).
const readTicks = (name) => {
  try { return readFileSync(`${env.TMP}/${name}.ticks`, "utf8").trim().split(/\s+/).map(Number); }
  catch { return [NaN, NaN]; }
};
const rate = (xs) => xs.reduce((a, j) => a + j.requests, 0) / xs.reduce((a, j) => a + j.duration_s, 0);
const pct = (xs, p) => median(xs.map((j) => j.latency_ms[p]));

// One variant (answer kind x session or not): every target's rounds, their
// figures, and the proxies' comparison.
function measureVariant(variant) {
  const runs = Object.fromEntries(targets.map((t) => [t, []]));
  for (let r = 1; r <= rounds; r++) for (const t of targets) runs[t].push(read(`${t}-${variant}-${r}`));
  const summary = Object.fromEntries(targets.map((t) => [t, {
    rps: r3(rate(runs[t])), p50_ms: r3(pct(runs[t], "p50")), p90_ms: r3(pct(runs[t], "p90")),
    p99_ms: r3(pct(runs[t], "p99")), max_ms: r3(Math.max(...runs[t].map((j) => j.latency_ms.max))),
  }]));
  // CPU of the proxy per request (warm-up included: the ticks cover the whole mcp-load
  // run), in all and split into user (the proxy's own code) and system (the kernel's
  // work on its behalf: sockets, the access log's writes).
  for (const t of ["nginx", "gateway"]) {
    let user = 0, system = 0, reqs = 0;
    for (let r = 1; r <= rounds; r++) {
      const [u, s] = readTicks(`${t}-${variant}-${r}`);
      user += u;
      system += s;
      const j = read(`${t}-${variant}-${r}`);
      reqs += j.requests + j.warmup.requests;
    }
    const usPerRequest = (ticks) => r3((ticks / Number(env.CLK_TCK)) * 1e6 / reqs);
    summary[t].proxy_cpu_us_per_request = usPerRequest(user + system);
    summary[t].proxy_user_us_per_request = usPerRequest(user);
    summary[t].proxy_system_us_per_request = usPerRequest(system);
  }
  const comparison = {
    rps_ratio_gateway_over_nginx: r3(summary.gateway.rps / summary.nginx.rps),
    p99_ratio_gateway_over_nginx: r3(summary.gateway.p99_ms / summary.nginx.p99_ms),
    p50_gateway_minus_nginx_ms: r3(summary.gateway.p50_ms - summary.nginx.p50_ms),
    rps_ratio_gateway_over_direct: r3(summary.gateway.rps / summary.direct.rps),
    rps_ratio_nginx_over_direct: r3(summary.nginx.rps / summary.direct.rps),
    // The backend never limits when it serves at least 3x what either proxy does.
    backend_headroom: r3(summary.direct.rps / Math.max(summary.nginx.rps, summary.gateway.rps)),
    cpu_ratio_gateway_over_nginx: r3(summary.gateway.proxy_cpu_us_per_request / summary.nginx.proxy_cpu_us_per_request),
    goal: "gateway requests/s >= nginx's with p99 no worse",
    goal_met: summary.gateway.rps >= summary.nginx.rps && summary.gateway.p99_ms <= summary.nginx.p99_ms,
  };
  return { summary, comparison, runs };
}
const measured = Object.fromEntries(variants.map((v) => [v, measureVariant(v)]));
// The first variant at the top level too (what run_all's report reads).
const { summary, comparison } = measured[variants[0]];
const backendWhat = env.BACKEND === "static"
  ? "a static nginx answering one fixed JSON-RPC result (load-tests/lib/static_mcp_backend.sh)"
  : "mcp-responder (answers at once, SSE)";
const result = {
  benchmark: "raw_proxy",
  what: `tools/call on ${backendWhat}: direct, through nginx (keep-alive upstream, ` +
    "proxy_buffering off) and through mcp-gateway (which spawned its own backend for the DSN). " +
    "Closed loop, same concurrency, interleaved, loopback only.",
  ...runFacts(env, "raw_proxy.sh"),
  software: { nginx: env.NGINX_VERSION, nginx_workers: Number(env.NGINX_WORKERS),
    gateway_threads: Number(env.GATEWAY_THREADS_USED) },
  parameters: {
    backend: env.BACKEND, pinned: env.PIN === "1", variants,
    concurrency: Number(env.CONCURRENCY), duration_s: Number(env.DURATION),
    warmup_s: Number(env.WARMUP), rounds,
  },
  gateway_rss_kb_after: Number(env.GATEWAY_RSS_KB),
  summary, comparison, variants: measured,
};

const out = [];
out.push(`raw_proxy: backend ${env.BACKEND}, concurrency ${env.CONCURRENCY}, ${env.DURATION} s per target, ` +
  `variant and round, ${rounds} round(s); nginx ${env.NGINX_VERSION} with ${env.NGINX_WORKERS} workers, ` +
  `gateway with ${env.GATEWAY_THREADS_USED} I/O threads${env.PIN === "1" ? "; proxies pinned to CPU 0, the rest to CPU 1" : ""}`);
for (const v of variants) {
  const { summary: s, comparison: c } = measured[v];
  out.push(`  ${v}:`);
  out.push(`    ${"target".padEnd(8)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p90 ms".padStart(8)} ${"p99 ms".padStart(8)} ` +
    `${"CPU µs/req".padStart(11)} ${"user".padStart(6)} ${"system".padStart(7)}`);
  const us = (x) => (x === undefined ? "-" : x.toFixed(1));
  for (const t of targets) {
    const m = s[t];
    out.push(`    ${t.padEnd(8)} ${m.rps.toFixed(1).padStart(9)} ${m.p50_ms.toFixed(3).padStart(8)} ` +
      `${m.p90_ms.toFixed(3).padStart(8)} ${m.p99_ms.toFixed(3).padStart(8)} ` +
      `${us(m.proxy_cpu_us_per_request).padStart(11)} ${us(m.proxy_user_us_per_request).padStart(6)} ` +
      `${us(m.proxy_system_us_per_request).padStart(7)}`);
  }
  out.push(`    gateway/nginx: req/s ${c.rps_ratio_gateway_over_nginx}, p99 ${c.p99_ratio_gateway_over_nginx}, ` +
    `CPU ${c.cpu_ratio_gateway_over_nginx}x (goal: >= 1 and <= 1: ${c.goal_met ? "met" : "missed"}); ` +
    `backend headroom ${c.backend_headroom}x`);
}
out.push(`  machine: ${env.NPROC} CPUs, load average before ${env.LOADAVG_BEFORE}, after ${env.LOADAVG_AFTER}`);
console.log(out.join("\n"));
if (env.OUT) {
  writeFileSync(env.OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(`  results: ${env.OUT}`);
}
// Every request OK; in a session variant every connection opened its session.
const bad = variants.flatMap((v) => targets.flatMap((t) => measured[v].runs[t])).filter((j) =>
  j.requests === 0 || j.errors > 0 ||
  (j.label.includes("-session-") && (!j.sessions || j.sessions.failed > 0 || j.sessions.opened === 0)));
if (bad.length) {
  for (const j of bad) {
    console.error(`raw_proxy: ${j.label}: ${j.requests} requests, ${j.errors} errors` +
      (j.sample_error ? ` (${j.sample_error})` : ""));
  }
  console.error(env.SMOKE === "1" ? "raw_proxy: SMOKE FAILED" : "raw_proxy: errors; figures are not valid");
  process.exit(1);
}
if (env.SMOKE === "1") console.log("raw_proxy: smoke OK (all requests OK; timings not checked)");
