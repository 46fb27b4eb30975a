// Latency from a harness writing a line to the plugin yielding the matching `text_delta`.
//
// Starts a real Coven daemon (dist/ of the main package, on its own Node) with a manifest-declared fake harness
// that prints `tick <n> <wall-clock ms>` lines at a steady pace, runs turns through the built plugin's
// CovenAcpRuntime (the same code OpenClaw loads), and compares each line's write time with the moment the
// plugin yielded the text_delta carrying it. Both ends read the same wall clock (performance.timeOrigin +
// performance.now(), sub-millisecond). The reference bridge polls every 250 ms, i.e. ~125 ms mean delay.
//
// Run: npm run bench (Node 24; COVEN_DAEMON_NODE names the daemon's Node if `node` on PATH is this one).
// Options: BENCH_LINES (default 300 per turn), BENCH_TURNS (default 3), BENCH_INTERVAL_MS (default 20).
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The built bundle (what OpenClaw loads), typed by its source.
const { CovenAcpRuntime, resolveConfig } = (await import(
  pathToFileURL(path.join(root, "dist/index.js")).href
)) as typeof import("../src/index.js");
const repo = path.resolve(root, "../..");
const LINES = Number(process.env.BENCH_LINES ?? 300);
const TURNS = Number(process.env.BENCH_TURNS ?? 3);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 20);
const TARGET_P50_MS = 15;

const TICKER = `
const count = Number(process.argv.at(-1)) || 100;
const every = Number(process.env.BENCH_INTERVAL_MS) || 20;
let n = 0;
const timer = setInterval(() => {
  n += 1;
  process.stdout.write("tick " + n + " " + (performance.timeOrigin + performance.now()).toFixed(3) + "\\n");
  if (n >= count) { clearInterval(timer); setTimeout(() => process.exit(0), 50); }
}, every);
`;

function daemonNode(): string {
  if (process.env.COVEN_DAEMON_NODE) return process.env.COVEN_DAEMON_NODE;
  const self = fs.realpathSync(process.execPath);
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "node");
    try {
      if (fs.realpathSync(candidate) !== self) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error("set COVEN_DAEMON_NODE to the main package's node");
}

function healthy(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { socketPath: socket, path: "/api/v1/health", headers: { host: "localhost" } },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on("error", () => resolve(false));
  });
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coven-bench-")));
  const bin = path.join(dir, "bin");
  const project = path.join(dir, "project");
  const home = path.join(dir, "home");
  fs.mkdirSync(bin);
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(bin, "bench-ticker"), `#!${process.execPath}\n${TICKER}`, { mode: 0o755 });
  const manifest = path.join(dir, "adapters.json");
  fs.writeFileSync(
    manifest,
    JSON.stringify({
      adapters: [
        {
          id: "bench-ticker",
          label: "bench-ticker",
          executable: "bench-ticker",
          interactive_prompt_prefix_args: [],
          non_interactive_prompt_prefix_args: [],
        },
      ],
    }),
  );
  const daemon: ChildProcess = spawn(
    daemonNode(),
    [path.join(repo, "dist/bin/coven.js"), "daemon", "serve"],
    {
      env: {
        ...process.env,
        COVEN_HOME: home,
        PATH: `${bin}:${process.env.PATH}`,
        COVEN_HARNESS_ADAPTER_MANIFEST: manifest,
        BENCH_INTERVAL_MS: String(INTERVAL_MS),
      },
      stdio: "ignore",
    },
  );
  const socket = path.join(home, "coven.sock");
  const deadline = Date.now() + 20_000;
  while (!(fs.existsSync(socket) && (await healthy(socket)))) {
    if (Date.now() > deadline || daemon.exitCode !== null) {
      daemon.kill("SIGKILL"); // one that is merely slow must not outlive the benchmark
      throw new Error("the daemon did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  const runtime = new CovenAcpRuntime(
    resolveConfig({ covenHome: home, harnesses: { bench: "bench-ticker" } }),
  );
  const latencies: number[] = [];
  let deltas = 0;
  try {
    for (let turnNumber = 1; turnNumber <= TURNS; turnNumber += 1) {
      const handle = await runtime.ensureSession({
        sessionKey: `bench-${turnNumber}`,
        agent: "bench",
        mode: "oneshot",
        cwd: project,
      });
      const turn = runtime.startTurn({
        handle,
        text: String(LINES),
        mode: "prompt",
        requestId: `bench-${turnNumber}`,
      });
      let seen = 0;
      for await (const event of turn.events) {
        if (event.type !== "text_delta") continue;
        const now = performance.timeOrigin + performance.now();
        deltas += 1;
        for (const match of event.text.matchAll(/tick (\d+) (\d+\.\d+)/g)) {
          seen += 1;
          // The first lines of a turn include harness start-up noise in neither direction; keep them all.
          latencies.push(now - Number(match[2]));
        }
      }
      const result = await turn.result;
      if (result.status !== "completed" || seen !== LINES) {
        throw new Error(`turn ${turnNumber}: ${result.status}, ${seen}/${LINES} lines`);
      }
    }
  } finally {
    runtime.dispose();
    daemon.kill("SIGTERM");
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  const fmt = (value: number) => `${value.toFixed(2)} ms`;
  console.log(`coven ACP backend: harness line written → text_delta yielded`);
  console.log(
    `  ${sorted.length} lines over ${TURNS} turns, ${deltas} text deltas, one line every ${INTERVAL_MS} ms, node ${process.version}`,
  );
  console.log(
    `  p50 ${fmt(percentile(sorted, 50))}  p90 ${fmt(percentile(sorted, 90))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1) ?? Number.NaN)}  mean ${fmt(mean)}`,
  );
  console.log(
    `  target p50 ≤ ${TARGET_P50_MS} ms; the reference plugin polls every 250 ms (≈125 ms mean, 250 ms worst case)`,
  );
  if (percentile(sorted, 50) > TARGET_P50_MS) {
    console.log("  p50 is above the target");
    process.exitCode = 1;
  }
}

await main();
