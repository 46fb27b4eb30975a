import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pty from "node-pty";
import { Agent, request } from "undici";
import { readTailBeforeClose } from "../../server/runtime/pty-exit-tail.js";
import { startBenchDaemon } from "./common.js";

/**
 * Shared plumbing of the harness benchmarks: fake harnesses declared exactly as an operator would (executable
 * scripts on PATH plus an adapter manifest), a small client for the daemon's REST and SSE routes, raw node-pty
 * baselines and daemon RSS sampling.
 */

export interface HarnessSpec {
  /** Adapter id, also the executable's name on PATH. */
  id: string;
  label: string;
  /** Body of the script (JavaScript, run by `node`); the shebang line is added. */
  source: string;
}

export interface HarnessFixture {
  dir: string;
  bin: string;
  manifest: string;
  /** Absolute path of a harness script, for the raw node-pty baseline. */
  scriptPath(id: string): string;
  /** Env for `startBenchDaemon`: the bin dir on PATH and the manifest. */
  env: NodeJS.ProcessEnv;
  /** Deletes the fixture directory and every project root made with `projectRoot()`. */
  remove(): void;
  /** A fresh, canonical, existing directory (inside the fixture) to use as a session's project root. */
  projectRoot(): string;
}

/** Writes the harness scripts (chmod 755) into a temp `bin/` and a manifest declaring them. */
export function writeHarnessFixture(harnesses: HarnessSpec[]): HarnessFixture {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coven-bench-harness-")));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const harness of harnesses) {
    const file = path.join(bin, harness.id);
    fs.writeFileSync(file, `#!/usr/bin/env node\n${harness.source}\n`);
    fs.chmodSync(file, 0o755);
  }
  const manifest = path.join(dir, "adapters.json");
  fs.writeFileSync(
    manifest,
    JSON.stringify({
      adapters: harnesses.map((harness) => ({
        id: harness.id,
        label: harness.label,
        executable: harness.id,
        interactive_prompt_prefix_args: [],
        non_interactive_prompt_prefix_args: [],
      })),
    }),
  );
  return {
    dir,
    bin,
    manifest,
    scriptPath: (id) => path.join(bin, id),
    env: { PATH: `${bin}:${process.env.PATH ?? ""}`, COVEN_HARNESS_ADAPTER_MANIFEST: manifest },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    projectRoot: () => fs.realpathSync(fs.mkdtempSync(path.join(dir, "project-"))),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface SessionRecord {
  id: string;
  status: string;
  exit_code: number | null;
  [key: string]: unknown;
}

export interface EventRecord {
  seq: number;
  id: string;
  session_id: string;
  kind: string;
  payload_json: string;
  created_at: string;
}

export interface EventPage {
  events: EventRecord[];
  nextCursor: { afterSeq: number } | null;
  hasMore: boolean;
}

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

const TERMINAL = new Set(["completed", "failed", "killed", "orphaned"]);

/** A client of one daemon's socket (keep-alive connections through one undici Agent). */
export class BenchClient {
  readonly agent: Agent;

  constructor(readonly socketPath: string) {
    this.agent = new Agent({ connect: { socketPath }, connections: 16 });
  }

  async json<T>(
    method: "GET" | "POST",
    urlPath: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await request(`http://localhost${urlPath}`, {
      method,
      dispatcher: this.agent,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: (text === "" ? undefined : JSON.parse(text)) as T };
  }

  async health(): Promise<{
    daemon: { pid: number };
    eventWriter: { droppedOutputEvents: number; droppedOutputBytes: number; [key: string]: unknown };
    storage: { walCheckpoint: { lastAt: string | null; [key: string]: unknown }; [key: string]: unknown };
    [key: string]: unknown;
  }> {
    const { status, body } = await this.json<Awaited<ReturnType<BenchClient["health"]>>>(
      "GET",
      "/api/v1/health",
    );
    if (status !== 200) throw new Error(`health answered ${status}`);
    return body;
  }

  /**
   * Waits (up to `timeoutMs`) until the daemon's background checkpoint has run after `after` (epoch ms). The
   * checkpoint of a flood waits for the writer to go quiet, so without this it would run in whatever is measured
   * next. Resolves false if it did not come in time.
   */
  async waitForCheckpointAfter(after: number, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { lastAt } = (await this.health()).storage.walCheckpoint;
      if (lastAt && Date.parse(lastAt) >= after) return true;
      if (Date.now() >= deadline) return false;
      await sleep(50);
    }
  }

  /** `POST /api/v1/sessions`; throws with the error envelope on anything but 201. */
  async launch(projectRoot: string, harness: string, prompt: string): Promise<SessionRecord> {
    const { status, body } = await this.json<SessionRecord>("POST", "/api/v1/sessions", {
      projectRoot,
      harness,
      prompt,
      launchMode: "nonInteractive",
    });
    if (status !== 201) throw new Error(`launch answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  async session(id: string): Promise<SessionRecord> {
    const { status, body } = await this.json<SessionRecord>("GET", `/api/v1/sessions/${id}`);
    if (status !== 200) throw new Error(`GET session answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Polls the session record every `intervalMs` until it is terminal; returns the terminal record. */
  async waitForTerminal(id: string, intervalMs = 50, timeoutMs = 600_000): Promise<SessionRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.session(id);
      if (TERMINAL.has(record.status)) return record;
      if (Date.now() > deadline)
        throw new Error(`session ${id} still ${record.status} after ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }

  /** Pages through every event of a session, calling `onEvent` for each. */
  async forEachEvent(id: string, onEvent: (event: EventRecord) => void): Promise<number> {
    let afterSeq = 0;
    let count = 0;
    for (;;) {
      const { status, body } = await this.json<EventPage>(
        "GET",
        `/api/v1/sessions/${id}/events?afterSeq=${afterSeq}&limit=1000`,
      );
      if (status !== 200) throw new Error(`events answered ${status}: ${JSON.stringify(body)}`);
      for (const event of body.events) onEvent(event);
      count += body.events.length;
      if (!body.hasMore || body.nextCursor === null) return count;
      afterSeq = body.nextCursor.afterSeq;
    }
  }

  /**
   * Opens `GET /sessions/{id}/events/stream` and yields each server-sent message until the `end` event (not
   * yielded) or the connection closes.
   */
  async *stream(id: string, afterSeq = 0): AsyncGenerator<SseMessage> {
    const response = await request(
      `http://localhost/api/v1/sessions/${id}/events/stream?afterSeq=${afterSeq}`,
      {
        dispatcher: this.agent,
        headers: { accept: "text/event-stream" },
      },
    );
    if (response.statusCode !== 200) {
      throw new Error(`stream answered ${response.statusCode}: ${await response.body.text()}`);
    }
    try {
      for await (const message of parseSse(response.body)) {
        if (message.event === "end") return;
        yield message;
      }
    } finally {
      // Leaving early (or after `end`) must not leave the connection half-read.
      response.body.destroy();
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Parses a server-sent events byte stream (`id:`, `event:`, `data:` fields; a blank line ends a message). */
export async function* parseSse(body: AsyncIterable<Buffer | string>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      let line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (data.length > 0 || event !== "") yield { id, event: event || "message", data: data.join("\n") };
        id = undefined;
        event = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // comment / keep-alive
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") id = value;
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
  }
}

/**
 * Starts a daemon with the fixture's harnesses, runs `body`, and always stops the daemon (SIGTERM, SIGKILL if it
 * has not exited after 5 s) and then removes its temporary COVEN_HOME and the fixture.
 */
export async function withHarnessDaemon<T>(
  fixture: HarnessFixture,
  body: (client: BenchClient, daemon: { pid: number; socket: string; home: string }) => Promise<T>,
): Promise<T> {
  try {
    const daemon = await startBenchDaemon(fixture.env);
    const client = new BenchClient(daemon.socket);
    try {
      const health = await client.health();
      return await body(client, { pid: health.daemon.pid, socket: daemon.socket, home: daemon.home });
    } finally {
      await client.close().catch(() => {});
      await stopChild(daemon.child);
      fs.rmSync(path.dirname(daemon.home), { recursive: true, force: true });
    }
  } finally {
    fixture.remove();
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Current VmRSS of a process in bytes, or undefined when it cannot be read. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until `stop()`, which returns the maximum seen. */
export function sampleMaxRss(pid: number, intervalMs = 20): { stop(): number } {
  let max = readRssBytes(pid) ?? 0;
  const timer = setInterval(() => {
    const rss = readRssBytes(pid);
    if (rss !== undefined && rss > max) max = rss;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const rss = readRssBytes(pid);
      if (rss !== undefined && rss > max) max = rss;
      return max;
    },
  };
}

/** The same PTY geometry and TERM the daemon gives harnesses, so the baseline does the same terminal work. */
export const PTY_OPTIONS = { name: "xterm-256color", cols: 120, rows: 32 } as const;

/**
 * Raw node-pty baseline: spawns `file args` in a PTY, calls `onData` for every chunk, resolves on exit.
 * `startedAt` is taken just before `pty.spawn`. `keepTail` reads what the PTY still holds when node-pty closes
 * it, as the daemon does (see `readTailBeforeClose`), for a caller that must see every byte.
 */
export function runRawPty(
  file: string,
  args: string[],
  onData: (data: string) => void,
  opts: { keepTail?: boolean } = {},
): Promise<{ startedAt: number; exitedAt: number; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let child: pty.IPty;
    try {
      child = pty.spawn(file, args, {
        ...PTY_OPTIONS,
        cwd: os.tmpdir(),
        env: { ...process.env, TERM: PTY_OPTIONS.name },
      });
    } catch (error) {
      reject(error);
      return;
    }
    child.onData(onData);
    if (opts.keepTail) readTailBeforeClose(child, onData);
    child.onExit(({ exitCode }) => resolve({ startedAt, exitedAt: performance.now(), exitCode }));
  });
}
