import { type ChildProcess, fork, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";

export const DIST_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const COVEN_BIN = path.join(DIST_ROOT, "bin/coven.js");

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function waitForHttp(socketPath: string, urlPath: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const agent = new Agent({ connect: { socketPath } });
      const response = await request(`http://localhost${urlPath}`, { dispatcher: agent });
      await response.body.text();
      await agent.close();
      if (response.statusCode === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing answered on ${socketPath}`);
}

/** A real daemon (`coven daemon serve`) on a fresh temporary COVEN_HOME. */
export async function startBenchDaemon(
  env: NodeJS.ProcessEnv = {},
  existingHome?: string,
): Promise<{ child: ChildProcess; socket: string; home: string }> {
  const home = existingHome ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coven-bench-")), "home");
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, COVEN_BIN, "daemon", "serve"], {
    env: { ...process.env, ...env, COVEN_HOME: home },
    stdio: "ignore",
  });
  const socket = path.join(home, "coven.sock");
  await waitForHttp(socket, "/api/v1/health");
  return { child, socket, home };
}

export async function startBareServer(): Promise<{ child: ChildProcess; socket: string }> {
  const socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coven-bare-")), "bare.sock");
  const child = fork(path.join(DIST_ROOT, "scripts/bench/bare-server.js"), [socket], { stdio: "ignore" });
  await new Promise((resolve) => child.once("message", resolve));
  return { child, socket };
}

/** Requests per second over `durationMs` with `concurrency` requests in flight on keep-alive connections. */
export async function measureRate(socketPath: string, urlPath: string, durationMs: number, concurrency = 8) {
  const agent = new Agent({ connect: { socketPath }, connections: concurrency });
  let count = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const response = await request(`http://localhost${urlPath}`, { dispatcher: agent });
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
        count += 1;
      }
    }),
  );
  const elapsed = performance.now() - started;
  await agent.close();
  return (count / elapsed) * 1000;
}
