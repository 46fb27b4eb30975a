import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Agent, request } from "undici";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const COVEN_BIN = path.join(REPO_ROOT, "dist/bin/coven.js");

export function tempDir(prefix = "coven-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestDaemon {
  home: string;
  socket: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Waits until `check` is true, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a daemon with a loopback TCP listener on a free port. A free port is not reserved: another process may
 * take it before the daemon binds it, and then another is picked.
 */
export async function startOnFreeLoopbackPort(
  start: (port: number) => Promise<TestDaemon>,
): Promise<{ daemon: TestDaemon; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freeLoopbackPort();
    try {
      return { daemon: await start(port), port };
    } catch (error) {
      if (attempt === 3 || !String(error).includes("EADDRINUSE")) throw error;
    }
  }
}

/** Everything in a home's daemon log files, as far as it has been flushed to disk. */
export function readDaemonLogs(home: string): string {
  const dir = path.join(home, "logs");
  return fs
    .readdirSync(dir)
    .map((name) => fs.readFileSync(path.join(dir, name), "utf8"))
    .join("");
}

/** Starts the built `coven daemon serve` as a real process on a fresh COVEN_HOME. */
export async function startDaemon(
  options: { env?: NodeJS.ProcessEnv; home?: string; args?: string[] } = {},
): Promise<TestDaemon> {
  const home = options.home ?? path.join(tempDir(), "home");
  const socket = path.join(home, "coven.sock");
  let output = "";
  const child = spawn(process.execPath, [COVEN_BIN, "daemon", "serve", ...(options.args ?? [])], {
    env: { ...process.env, COVEN_HOME: home, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitForHealth(child, socket, () => output).catch(async (error: unknown) => {
    // A daemon that never answered must not outlive the test that started it.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    throw error;
  });
  return {
    home,
    socket,
    process: child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function waitForHealth(child: ChildProcess, socket: string, output: () => string): Promise<void> {
  return waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`daemon exited early: ${output()}`);
    if (!fs.existsSync(socket)) return false;
    try {
      const agent = new Agent({ connect: { socketPath: socket } });
      const response = await request("http://localhost/api/v1/health", { dispatcher: agent });
      await response.body.text();
      await agent.close();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }, "the daemon to answer health");
}
