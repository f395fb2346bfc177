// Prints the figures of a run_all.sh results file as Markdown (the tables of
// docs/benchmarks.md): node load-tests/run_all_markdown.mjs <dir>/results.json
// run_all.sh writes it to <dir>/summary.md.
import { readFileSync } from "node:fs";

const j = JSON.parse(readFileSync(process.argv[2], "utf8"));
const s = j.scenarios;
const f = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? "—" : Number(x).toFixed(d));
const mib = (kb) => f(kb / 1024, 1);
const out = [];
const m0 = (r, t) => r.summary[t].proxy_cpu_us_per_request;
const p = (...lines) => out.push(...lines);

p(`Run: \`${j.started_by}\`, finished ${j.finished_at}, commit ${j.git_rev}, ${j.run_seconds} s in all ` +
  `(${Object.entries(j.scenario_seconds).map(([k, v]) => `${k} ${v} s`).join(", ")}).`,
  `Machine: ${j.machine.nproc} vCPUs (${j.machine.cpu}), ${f(j.machine.mem_kb / 1048576, 0)} GB, kernel ${j.machine.kernel}; ` +
  `load average ${j.machine.loadavg_before} before, ${j.machine.loadavg_after} after.` +
  (j.failed.length ? ` **Failed: ${j.failed.join(", ")}.**` : ""), "");

p("| goal (issue 8) | measured | met? |", "|---|---|---|");
const goal = (g, m, ok) => p(`| ${g} | ${m} | ${ok === undefined ? "—" : ok ? "yes" : "**no**"} |`);
if (s.warm_overhead) {
  const c = s.warm_overhead.comparison;
  goal("warm throughput via gateway ≥ 0.97 × direct", `${f(c.rps_ratio_gateway_over_direct, 3)} (${f(c.rps_gateway)} vs ${f(c.rps_direct)} req/s)`,
    c.rps_ratio_gateway_over_direct >= 0.97);
  goal("added p50 ≤ 100 µs (warm, DBHub)", `${f(c.added_p50_ms * 1000, 0)} µs (p99 ${f(c.added_p99_ms, 2)} ms)`, c.added_p50_ms <= 0.1);
}
if (s.raw_proxy) {
  const c = s.raw_proxy.comparison, m = s.raw_proxy.summary;
  goal("raw proxy req/s ≥ nginx's", `${f(c.rps_ratio_gateway_over_nginx, 3)} × nginx (${f(m.gateway.rps)} vs ${f(m.nginx.rps)} req/s)`,
    c.rps_ratio_gateway_over_nginx >= 1);
  goal("raw proxy p99 ≤ nginx's", `${f(m.gateway.p99_ms, 2)} vs ${f(m.nginx.p99_ms, 2)} ms`, m.gateway.p99_ms <= m.nginx.p99_ms);
}
if (s.raw_capacity) {
  for (const [v, { comparison: c, summary: m }] of Object.entries(s.raw_capacity.variants)) {
    goal(`raw capacity (${v}): req/s ≥ nginx's, p99 no worse`,
      `${f(c.rps_ratio_gateway_over_nginx, 3)} × nginx (${f(m.gateway.rps)} vs ${f(m.nginx.rps)} req/s), ` +
      `p99 ${f(m.gateway.p99_ms, 2)} vs ${f(m.nginx.p99_ms, 2)} ms`, c.goal_met);
  }
}
if (s.cold_start?.pool) {
  const pl = s.cold_start.pool.latency_ms;
  goal("cold start p50 ≤ 80 ms with the warm pool", `${f(pl.p50)} ms (p99 ${f(pl.p99)} ms)`, pl.p50 <= 80);
}
const rest = [s.churn?.memory?.rss_kb_at_rest_before, s.cold_start?.pool?.gateway_rss_kb_at_rest].filter((x) => x > 0);
if (rest.length) {
  goal("gateway RSS at rest ≤ 30 MB", `${rest.map(mib).join(" / ")} MiB (no pool / warm pool of 2; workers not counted)`,
    Math.max(...rest) <= 30 * 1000);
}
if (s.streams) {
  const m = s.streams.memory;
  goal("≤ 8 KB per idle stream", `${f(m.bytes_per_stream / 1024, 1)} KiB per stream (${s.streams.parameters.streams} streams)`,
    m.bytes_per_stream <= 8 * 1024);
}
p("");

if (s.warm_overhead) {
  const w = s.warm_overhead;
  p(`**warm_overhead** (DBHub, concurrency ${w.parameters.concurrency}, ${w.parameters.duration_s} s per target):`, "",
    "| target | requests | req/s | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const [name, runs] of [["direct", w.direct], ["gateway", w.gateway]]) {
    for (const r of runs) p(`| ${name} | ${r.requests} | ${f(r.rps)} | ${f(r.latency_ms.p50, 2)} | ${f(r.latency_ms.p90, 2)} | ${f(r.latency_ms.p99, 2)} | ${f(r.latency_ms.max, 2)} |`);
  }
  p("");
}
if (s.raw_proxy) {
  const r = s.raw_proxy;
  p(`**raw_proxy** (mcp-responder, concurrency ${r.parameters.concurrency}, ${r.parameters.duration_s} s per target, ${r.software.nginx} with ${r.software.nginx_workers} workers):`, "",
    "| target | req/s | p50 ms | p90 ms | p99 ms |", "|---|---:|---:|---:|---:|");
  for (const t of ["direct", "nginx", "gateway"]) {
    const m = r.summary[t];
    p(`| ${t} | ${f(m.rps)} | ${f(m.p50_ms, 3)} | ${f(m.p90_ms, 3)} | ${f(m.p99_ms, 3)} |`);
  }
  p("", `gateway/nginx: requests/s ${f(r.comparison.rps_ratio_gateway_over_nginx, 3)}, p99 ${f(r.comparison.p99_ratio_gateway_over_nginx, 3)}. ` +
    `CPU of the proxy per request (all its processes, warm-up included): nginx ${f(m0(r, "nginx"))} µs, gateway ${f(m0(r, "gateway"))} µs ` +
    `(${f(r.comparison.cpu_ratio_gateway_over_nginx, 2)}×).`, "");
}
if (s.raw_capacity) {
  const r = s.raw_capacity;
  p(`**raw_capacity** (a static nginx backend that never limits; concurrency ${r.parameters.concurrency}, ` +
    `${r.parameters.duration_s} s per target and variant; ${r.software.nginx} with ${r.software.nginx_workers} worker(s), ` +
    `gateway with ${r.software.gateway_threads} I/O thread(s)${r.parameters.pinned ? "; both proxies pinned to CPU 0, backends and client to CPU 1" : ""}):`, "",
    "| variant | target | req/s | p50 ms | p99 ms | proxy CPU µs/req | of it user | of it system |",
    "|---|---|---:|---:|---:|---:|---:|---:|");
  for (const [v, { summary: m }] of Object.entries(r.variants)) {
    for (const t of ["direct", "nginx", "gateway"]) {
      p(`| ${v} | ${t} | ${f(m[t].rps)} | ${f(m[t].p50_ms, 3)} | ${f(m[t].p99_ms, 3)} | ${f(m[t].proxy_cpu_us_per_request)} | ` +
        `${f(m[t].proxy_user_us_per_request)} | ${f(m[t].proxy_system_us_per_request)} |`);
    }
  }
  p("");
}
const csModes = [];
for (const src of [s.cold_start, s.cold_start_docker]) {
  if (!src) continue;
  for (const m of src.parameters.modes) csModes.push([m, src[m]]);
}
if (csModes.length) {
  p("**cold_start** (one new DSN at a time, DBHub on SQLite):", "",
    "| mode | DSNs | pool hits | p50 ms | p90 ms | p99 ms | max ms | gateway RSS at rest |", "|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, m] of csModes) {
    p(`| ${name} | ${m.first_requests} | ${name === "pool" ? m.warm_pool.hits : "—"} | ${f(m.latency_ms.p50)} | ${f(m.latency_ms.p90)} | ${f(m.latency_ms.p99)} | ${f(m.latency_ms.max)} | ${mib(m.gateway_rss_kb_at_rest)} MiB |`);
  }
  p("");
}
if (s.spawn_storm) {
  const o = s.spawn_storm.one, m = s.spawn_storm.many;
  p("**spawn_storm**:", "",
    "| part | requests | OK | spawns | retries (503) | peak live | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${o.concurrent_requests} at once, 1 DSN (${o.backend}) | ${o.concurrent_requests} | ${o.ok} | ${o.spawns} | — | ${o.instances} | ${f(o.latency.p50_ms)} | ${f(o.latency.p99_ms)} | ${f(o.latency.max_ms)} |`,
    `| ${m.dsns} at once, ${m.dsns} DSNs, max ${m.max_instances} (${m.backend}) | ${m.dsns} | ${m.ok} | ${m.spawns} | ${m.retried} | ${m.peak_live_instances} | ${f(m.latency.p50_ms)} | ${f(m.latency.p99_ms)} | ${f(m.latency.max_ms)} |`, "");
}
if (s.churn) {
  const c = s.churn, m = c.memory;
  p(`**churn** (${c.parameters.duration_s} s at ${c.parameters.rate} req/s over ${c.parameters.dsns} DSNs, idle timeout ${c.parameters.idle_timeout_s} s, max ${c.parameters.max_instances}, ${c.parameters.backend}): ` +
    `${c.mcp_load.requests} requests, ${c.mcp_load.ok} OK, p50 ${f(c.latency_ms.p50, 2)} ms, p99 ${f(c.latency_ms.p99, 2)} ms; ` +
    `${c.counters.spawns} spawns, ${c.counters.reaps} reaps, ${c.counters.evictions} evictions; ` +
    `gateway RSS ${mib(m.rss_kb_at_rest_before)} MiB at rest before, peak ${mib(m.rss_kb_peak)} MiB, ${mib(m.rss_kb_at_rest_after)} MiB at rest after, ` +
    `growth over the run ${m.growth_kb ?? "—"} KiB; checks: ${c.checks.map((x) => (x.ok ? "ok" : "FAIL") + " " + x.what).join("; ")}.`, "");
}
if (s.streams) {
  const t = s.streams, m = t.memory;
  p(`**streams** (${t.parameters.streams} concurrent SSE streams held ${t.parameters.hold_s} s):`, "",
    "| path | opened | all open after | TTFE p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const name of ["direct", "gateway"]) {
    const x = t[name];
    p(`| ${name} | ${x.opened} | ${f(x.all_open_s, 3)} s | ${f(x.ttfe_ms.p50)} | ${f(x.ttfe_ms.p90)} | ${f(x.ttfe_ms.p99)} | ${f(x.ttfe_ms.max)} |`);
  }
  p("", `Gateway RSS ${mib(m.rss_kb_baseline)} MiB warm with no stream, ${mib(m.rss_kb_all_open)} MiB with all open ` +
    `(${m.bytes_per_stream} bytes per stream), ${mib(m.rss_kb_after)} MiB after; open fds ${m.fds_baseline} → ${m.fds_all_open} → ${m.fds_after}.`, "");
}
console.log(out.join("\n"));
