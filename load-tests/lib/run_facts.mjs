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
