import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { FAKE_HARNESSES } from "../../../../test/helpers/harness.js";

export const PLUGIN_ROOT = path.resolve(import.meta.dirname, "../..");
export const REPO_ROOT = path.resolve(PLUGIN_ROOT, "../..");
export const COVEN_BIN = path.join(REPO_ROOT, "dist/bin/coven.js");

/** Extra fake harnesses of the plugin's tests, beside the repository's (`test/helpers/harness.ts`). */
export const PLUGIN_FAKE_HARNESSES: Record<string, string> = {
  // Prints `count` numbered lines (the prompt, default 40) a few ms apart, then exits 0.
  "fake-lines": `
const count = Number(process.argv.at(-1)) || 40;
let n = 0;
const timer = setInterval(() => {
  n += 1;
  process.stdout.write("line " + n + "\\n");
  if (n >= count) { clearInterval(timer); setTimeout(() => process.exit(0), 20); }
}, 3);
`,
  // Colours, a title, a hyperlink, bidi overrides; an escape sequence split across two writes; exits 0.
  "fake-ansi": `
const out = (text) => new Promise((resolve) => process.stdout.write(text, resolve));
(async () => {
  await out("\\x1b]0;window title\\x07\\x1b[1;32mgreen\\x1b[0m plain\\n");
  await new Promise((r) => setTimeout(r, 30));
  await out("abc\\u202eevil\\u202c def \\x1b[3");
  await new Promise((r) => setTimeout(r, 60));
  await out("1mred\\x1b[0m end\\n");
  setTimeout(() => process.exit(0), 20);
})();
`,
};

export function tempDir(prefix = "coven-oc-"): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export interface PluginHarnessKit {
  bin: string;
  manifest: string;
  projectRoot: string;
  env: NodeJS.ProcessEnv;
}

/** Manifest-declared fake harnesses on a test PATH, the way an operator declares them. */
export function pluginHarnessKit(): PluginHarnessKit {
  const root = tempDir("coven-oc-harness-");
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  const all = { ...FAKE_HARNESSES, ...PLUGIN_FAKE_HARNESSES };
  for (const [name, body] of Object.entries(all)) {
    const file = path.join(bin, name);
    fs.writeFileSync(file, `#!${process.execPath}\n${body}`);
    fs.chmodSync(file, 0o755);
  }
  const manifest = path.join(root, "adapters.json");
  const adapters = Object.keys(all).map((name) => ({
    id: name,
    label: name,
    executable: name,
    interactive_prompt_prefix_args: ["--mode=interactive"],
    non_interactive_prompt_prefix_args: ["--mode=batch"],
  }));
  fs.writeFileSync(manifest, JSON.stringify({ adapters }));
  const projectRoot = path.join(root, "project");
  fs.mkdirSync(projectRoot);
  return {
    bin,
    manifest,
    projectRoot,
    env: { PATH: `${bin}:${process.env.PATH}`, COVEN_HARNESS_ADAPTER_MANIFEST: manifest },
  };
}

/**
 * The Node that runs the daemon. The daemon's native modules (better-sqlite3, node-pty) are built for the main
 * package's Node (20), while the plugin's tests run on Node 24: `COVEN_DAEMON_NODE`, else the first `node` on
 * PATH that is not this process's.
 */
export function daemonNode(): string {
  const configured = process.env.COVEN_DAEMON_NODE?.trim();
  if (configured) return configured;
  const self = fs.realpathSync(process.execPath);
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "node");
    try {
      if (fs.realpathSync(candidate) !== self) {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  throw new Error("No Node for the daemon: set COVEN_DAEMON_NODE to the main package's node (20.x).");
}

export function ensureDaemonBuilt(): void {
  if (!fs.existsSync(COVEN_BIN)) {
    throw new Error(`${COVEN_BIN} is missing: run \`npm run build\` in ${REPO_ROOT} first.`);
  }
}

/** GET over the Unix socket; resolves with the status code (rejects when nothing serves there). */
export function socketGet(socketPath: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath, path: urlPath, headers: { host: "localhost" } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface RunningDaemon {
  home: string;
  socket: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `coven daemon serve` from dist/, on a fresh COVEN_HOME, with the kit's harnesses. */
export async function startCovenDaemon(
  kit: PluginHarnessKit,
  home = path.join(tempDir(), "home"),
): Promise<RunningDaemon> {
  ensureDaemonBuilt();
  const socket = path.join(home, "coven.sock");
  let output = "";
  const child = spawn(daemonNode(), [COVEN_BIN, "daemon", "serve"], {
    env: { ...process.env, ...kit.env, COVEN_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`daemon exited early: ${output}`);
    if (!fs.existsSync(socket)) return false;
    try {
      return (await socketGet(socket, "/api/v1/health")).status === 200;
    } catch {
      return false;
    }
  }, "the daemon to answer health");
  return {
    home,
    socket,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
}

export interface FakeDaemon {
  home: string;
  socket: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A health answer shaped like the daemon's, with overrides (for example another apiVersion). */
export function fakeHealth(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ok: true,
    apiVersion: "coven.daemon.v1",
    covenVersion: "0.0.0-fake",
    capabilities: {
      sessions: true,
      events: true,
      eventCursor: "sequence",
      structuredErrors: true,
      sessionLaunch: true,
      liveEventStream: true,
    },
    daemon: { pid: process.pid, startedAt: new Date().toISOString(), socket: "fake" },
    ...overrides,
  };
}

/**
 * A tiny HTTP server on a Unix socket that answers health (REST and tRPC, batched or not) with `health` and
 * records every request it sees; anything else gets a 404 contract error. Lives in a fresh 0700 home.
 */
export async function startFakeDaemon(
  health: Record<string, unknown>,
  home = path.join(tempDir(), "home"),
): Promise<FakeDaemon> {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const socket = path.join(home, "coven.sock");
  const requests: RecordedRequest[] = [];
  const server = http.createServer((request, response) => {
    const url = request.url ?? "";
    requests.push({ method: request.method ?? "", url });
    request.resume();
    const pathname = url.split("?")[0] ?? "";
    response.setHeader("content-type", "application/json");
    if (pathname === "/api/v1/health") {
      response.end(JSON.stringify(health));
    } else if (pathname === "/trpc/health") {
      const batched = url.includes("batch=1");
      const item = { result: { data: health } };
      response.end(JSON.stringify(batched ? [item] : item));
    } else {
      response.statusCode = 404;
      response.end(JSON.stringify({ error: { code: "not_found", message: "Not found." } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  fs.chmodSync(socket, 0o600);
  return {
    home,
    socket,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
