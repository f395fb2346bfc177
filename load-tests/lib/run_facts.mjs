import { writeFileSync } from "node:fs";

// What every results file says about its run: which script, when, which commit,
// and the machine (from the variables lib/common.sh's export_machine_facts sets).
export function runFacts(env, script) {
  return {
    smoke: env.SMOKE === "1",
    started_by: `load-tests/${script}`,
    finished_at: new Date().toISOString(),
    git_rev: env.GIT_REV,
    machine: {
      nproc: Number(env.NPROC), cpu: env.CPU_MODEL, kernel: env.KERNEL,
      loadavg_before: env.LOADAVG_BEFORE, loadavg_after: env.LOADAVG_AFTER,
    },
  };
}

// The end of a summary with checks: the checks and the machine under the figures in
// `out`, printed; the results file written (env.OUT); exit 1 when a check failed,
// after the first error each of `loads` (mcp-load results) sampled.
export function finishCheckedSummary(env, script, out, result, checks, loads) {
  for (const c of checks) out.push(`  ${c.ok ? "ok  " : "FAIL"} ${c.what}`);
  out.push(`  machine: ${env.NPROC} CPUs, load average before ${env.LOADAVG_BEFORE}, after ${env.LOADAVG_AFTER}`);
  console.log(out.join("\n"));
  if (env.OUT) {
    writeFileSync(env.OUT, JSON.stringify(result, null, 2) + "\n");
    console.log(`  results: ${env.OUT}`);
  }
  if (checks.some((c) => !c.ok)) {
    for (const j of loads) if (j.sample_error) console.error(`${script}: ${j.label ?? "load"}: ${j.sample_error}`);
    console.error(env.SMOKE === "1" ? `${script}: SMOKE FAILED` : `${script}: checks failed`);
    process.exit(1);
  }
  if (env.SMOKE === "1") console.log(`${script}: smoke OK (checks passed; timings not checked)`);
}
