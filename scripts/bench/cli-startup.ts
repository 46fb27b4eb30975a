import { spawnSync } from "node:child_process";
import { Agent, request } from "undici";
import { COVEN_BIN, median, startBenchDaemon } from "./common.js";

/**
 * CLI startup, as a user feels it: whole processes, spawned one after another, against `node -e 0` measured in
 * the same rounds (alternating, so machine noise hits all three alike).
 * - `coven --version` cold vs `node -e 0`: target ratio ≤ 2.5.
 * - `coven sessions` against a running daemon whose ledger holds 10,000 sessions vs `node -e 0`: target ≤ 4.
 * The sessions are registered through the daemon's API (`POST /api/v1/sessions/external`, in parallel
 * batches), never written into the database directly.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const BATCH = 100;
export const VERSION_TARGET = 2.5;
export const SESSIONS_TARGET = 4;

async function seedSessions(socketPath: string, count: number): Promise<void> {
  const agent = new Agent({ connect: { socketPath }, connections: 16 });
  try {
    for (let start = 0; start < count; start += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, count - start) }, (_, index) => start + index);
      await Promise.all(
        ids.map(async (index) => {
          const response = await request("http://localhost/api/v1/sessions/external", {
            method: "POST",
            dispatcher: agent,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              id: `bench-${String(index).padStart(5, "0")}`,
              projectRoot: "/tmp/coven-bench-project",
              harness: "codex",
              title: `bench session ${index}`,
            }),
          });
          await response.body.text();
          if (response.statusCode !== 201 && response.statusCode !== 200) {
            throw new Error(`registering a session answered ${response.statusCode}`);
          }
        }),
      );
    }
  } finally {
    await agent.close();
  }
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(" ")} exited ${result.status}: ${result.stderr?.toString().slice(0, 500)}`,
    );
  }
  return elapsed;
}

export interface CliStartupResult {
  runs: number;
  sessions: number;
  nodeMs: number;
  versionMs: number;
  sessionsMs: number;
  versionRatio: number;
  sessionsRatio: number;
  versionTarget: number;
  sessionsTarget: number;
  met: boolean;
}

export async function benchCliStartup(): Promise<CliStartupResult> {
  const daemon = await startBenchDaemon();
  try {
    await seedSessions(daemon.socket, SESSIONS);
    const env = { ...process.env, COVEN_HOME: daemon.home, NO_COLOR: "1" };
    const baseline: number[] = [];
    const version: number[] = [];
    const sessions: number[] = [];
    // One unmeasured round warms the file cache for all three.
    for (let round = -1; round < RUNS; round += 1) {
      const samples = [
        timeProcess(["-e", "0"], env),
        timeProcess([COVEN_BIN, "--version"], env),
        timeProcess([COVEN_BIN, "sessions"], env),
      ];
      if (round < 0) continue;
      baseline.push(samples[0]!);
      version.push(samples[1]!);
      sessions.push(samples[2]!);
    }
    const nodeMs = median(baseline);
    const versionRatio = median(version) / nodeMs;
    const sessionsRatio = median(sessions) / nodeMs;
    return {
      runs: RUNS,
      sessions: SESSIONS,
      nodeMs,
      versionMs: median(version),
      sessionsMs: median(sessions),
      versionRatio,
      sessionsRatio,
      versionTarget: VERSION_TARGET,
      sessionsTarget: SESSIONS_TARGET,
      met: versionRatio <= VERSION_TARGET && sessionsRatio <= SESSIONS_TARGET,
    };
  } finally {
    daemon.child.kill("SIGTERM");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchCliStartup();
  const verdict = (ratio: number, target: number) => (ratio <= target ? "met" : "NOT MET");
  console.log(
    `coven --version: ${result.versionMs.toFixed(1)} ms vs node -e 0 ${result.nodeMs.toFixed(1)} ms, ` +
      `ratio ${result.versionRatio.toFixed(2)} (target ≤ ${result.versionTarget}) ` +
      verdict(result.versionRatio, result.versionTarget),
  );
  console.log(
    `coven sessions (${result.sessions} sessions in the ledger): ${result.sessionsMs.toFixed(1)} ms vs ` +
      `node -e 0 ${result.nodeMs.toFixed(1)} ms, ratio ${result.sessionsRatio.toFixed(2)} ` +
      `(target ≤ ${result.sessionsTarget}) ${verdict(result.sessionsRatio, result.sessionsTarget)}`,
  );
  console.log(`medians of ${result.runs} runs each`);
}
