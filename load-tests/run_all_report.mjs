// Report step of run_all.sh: merges every scenario's results file in $OUT_DIR into
// results.json, and writes the data and gnuplot scripts of the charts (run_all.sh
// runs gnuplot on every *.gp): latency percentiles of the steady-state proxies,
// of first requests and streams, cold-start distributions, gateway memory in churn.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const env = process.env;
const dir = env.OUT_DIR;
const names = ["warm_overhead", "raw_proxy", "raw_capacity", "cold_start", "cold_start_docker", "spawn_storm", "churn", "streams"];
const scenarios = {};
for (const name of names) {
  const f = `${dir}/${name}.json`;
  if (existsSync(f)) scenarios[name] = JSON.parse(readFileSync(f, "utf8"));
}
const seconds = Object.fromEntries((env.SCENARIO_SECONDS || "").split(",").filter(Boolean)
  .map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]));
const results = {
  started_by: env.RUN_COMMAND,
  smoke: env.SMOKE === "1",
  finished_at: new Date().toISOString(),
  git_rev: env.GIT_REV,
  machine: {
    nproc: Number(env.NPROC), cpu: env.CPU_MODEL, kernel: env.KERNEL, mem_kb: Number(env.MEM_KB),
    loadavg_before: env.LOADAVG_BEFORE, loadavg_after: env.LOADAVG_AFTER,
  },
  run_seconds: Number(env.RUN_SECONDS),
  scenario_seconds: seconds,
  failed: (env.FAILED_SCENARIOS || "").split(" ").filter(Boolean),
  scenarios,
};
writeFileSync(`${dir}/results.json`, JSON.stringify(results, null, 2) + "\n");

// --- charts -----------------------------------------------------------------------
const q = (s) => `"${String(s).replace(/"/g, "'")}"`;
const header = (title, file) => [
  `set terminal pngcairo size 960,540 font "sans,10"`,
  `set output "${file}"`,
  `set title ${q(title)}`,
  `set grid ytics`,
  `set key top left`,
];
const subtitle = `${env.NPROC} vCPUs, load average ${env.LOADAVG_BEFORE} -> ${env.LOADAVG_AFTER}${results.smoke ? " (SMOKE: not figures)" : ""}`;

// Percentile bars: rows of [label, p50, p90, p99] in ms, log scale.
function percentileChart(file, title, rows) {
  if (!rows.length) return;
  const dat = file.replace(/\.png$/, ".dat");
  writeFileSync(`${dir}/${dat}`,
    rows.map(([l, a, b, c]) => `${q(l)} ${a} ${b} ${c}`).join("\n") + "\n");
  writeFileSync(`${dir}/${file.replace(/\.png$/, ".gp")}`, [
    ...header(`${title}\\n{/*0.8 ${subtitle}}`, file),
    `set style data histograms`, `set style histogram clustered gap 1`,
    `set style fill solid 0.8 border -1`, `set logscale y`, `set ylabel "ms (log scale)"`,
    `set xtics rotate by -20`,
    `plot "${dat}" using 2:xtic(1) title "p50", "" using 3 title "p90", "" using 4 title "p99"`,
  ].join("\n") + "\n");
}

const lat = (j) => [j.latency_ms.p50, j.latency_ms.p90, j.latency_ms.p99];
const steady = [];
const w = scenarios.warm_overhead;
if (w) {
  steady.push(["warm: DBHub direct", ...lat(w.direct[0])]);
  steady.push(["warm: via gateway", ...lat(w.gateway[0])]);
}
const r = scenarios.raw_proxy;
if (r) {
  for (const t of ["direct", "nginx", "gateway"]) {
    const s = r.summary[t];
    steady.push([`raw: responder ${t === "direct" ? "direct" : "via " + t}`, s.p50_ms, s.p90_ms, s.p99_ms]);
  }
}
percentileChart("latency_steady.png", "Steady-state tools/call latency (closed loop)", steady);

const first = [];
const cs = scenarios.cold_start, csd = scenarios.cold_start_docker;
for (const [src, mode] of [[cs, "pool"], [cs, "bare"], [csd, "docker"], [cs, "docker"]]) {
  const m = src && src[mode];
  if (m && m.latency_ms) first.push([`cold start: ${mode}`, m.latency_ms.p50, m.latency_ms.p90, m.latency_ms.p99]);
}
const st = scenarios.spawn_storm;
if (st) {
  first.push([`storm: ${st.one.concurrent_requests} on 1 DSN`, st.one.latency.p50_ms, st.one.latency.p90_ms, st.one.latency.p99_ms]);
  first.push([`storm: ${st.many.dsns} DSNs, max ${st.many.max_instances}`, st.many.latency.p50_ms, st.many.latency.p90_ms, st.many.latency.p99_ms]);
}
const sm = scenarios.streams;
if (sm) {
  for (const t of ["direct", "gateway"]) {
    const x = sm.time_to_first_event_ms[t];
    first.push([`streams TTFE: ${t}`, x.p50, x.p90, x.p99]);
  }
}
percentileChart("latency_first.png", "First requests and time to first event", first);

// Cold-start distributions: empirical CDF per mode.
const cdfModes = [];
for (const [src, mode] of [[cs, "pool"], [cs, "bare"], [csd, "docker"], [cs, "docker"]]) {
  const m = src && src[mode];
  if (!m || !m.samples_ms || cdfModes.some((c) => c.mode === mode)) continue;
  const sorted = [...m.samples_ms].sort((a, b) => a - b);
  writeFileSync(`${dir}/cold_start_${mode}.dat`,
    sorted.map((v, i) => `${v} ${(i + 1) / sorted.length}`).join("\n") + "\n");
  cdfModes.push({ mode, n: sorted.length });
}
if (cdfModes.length) {
  writeFileSync(`${dir}/cold_start.gp`, [
    ...header(`Cold start: first request for a new DSN -> answer (CDF)\\n{/*0.8 ${subtitle}}`, "cold_start.png"),
    `set logscale x`, `set xlabel "ms (log scale)"`, `set ylabel "fraction of first requests"`,
    `set yrange [0:1]`, `set key bottom right`,
    `plot ` + cdfModes.map((c) => `"cold_start_${c.mode}.dat" using 1:2 with steps lw 2 title "${c.mode} (${c.n})"`).join(", "),
  ].join("\n") + "\n");
}

// Churn: gateway RSS and live instances over time.
const ch = scenarios.churn;
if (ch && ch.timeline && ch.timeline.length) {
  writeFileSync(`${dir}/churn.dat`, ch.timeline.map((s) => `${s.t} ${s.rss_kb / 1024} ${s.live} ${s.processes}`).join("\n") + "\n");
  writeFileSync(`${dir}/churn.gp`, [
    ...header(`Churn: ${ch.parameters.rate} req/s over ${ch.parameters.dsns} DSNs, idle timeout ${ch.parameters.idle_timeout_s} s\\n{/*0.8 ${subtitle}}`, "churn.png"),
    `set xlabel "s"`, `set ylabel "gateway RSS (MiB)"`, `set y2label "instances / processes"`,
    `set ytics nomirror`, `set y2tics`, `set yrange [0:*]`, `set y2range [0:*]`, `set key top center`,
    `plot "churn.dat" using 1:2 with lines lw 2 title "gateway RSS", ` +
      `"" using 1:3 axes x1y2 with lines title "live instances", ` +
      `"" using 1:4 axes x1y2 with lines dt 2 title "backend processes"`,
  ].join("\n") + "\n");
}
console.log(`run_all: wrote ${dir}/results.json (${Object.keys(scenarios).join(", ") || "no scenario results"})`);
