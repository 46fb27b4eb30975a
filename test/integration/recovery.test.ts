import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { COVEN_BIN, REPO_ROOT, startDaemon, type TestDaemon, tempDir, waitFor } from "../helpers/daemon.js";
import { fakeHarnessKit } from "../helpers/harness.js";
import { waitForSessionOutput } from "../helpers/session-events.js";

interface SessionRecord {
  id: string;
  status: string;
}
interface EventRecord {
  seq: number;
  id: string;
  kind: string;
  payload_json: string;
  created_at: string;
}

const V1_FIXTURE = path.join(REPO_ROOT, "test/fixtures/ledger-v1.sqlite3");

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  options: Parameters<typeof startDaemon>[0] = {},
): Promise<{ daemon: TestDaemon; api: RestClient }> {
  const daemon = await startDaemon(options);
  const api = new RestClient(daemon.socket);
  cleanups.push(() => daemon.stop());
  cleanups.push(() => api.close());
  return { daemon, api };
}

async function allEvents(api: RestClient, sessionId: string): Promise<EventRecord[]> {
  const page = await api.get<{ events: EventRecord[]; hasMore: boolean }>(
    `/api/v1/sessions/${sessionId}/events`,
  );
  expect(page.body.hasMore).toBe(false);
  return page.body.events;
}

/** A home holding a copy of `file` as its ledger, as a daemon of an older build would have left it. */
function homeWithLedger(file: string | Buffer): { home: string; database: string } {
  const home = path.join(tempDir(), "home");
  fs.mkdirSync(home, { mode: 0o700 });
  const database = path.join(home, "coven.sqlite3");
  if (typeof file === "string") fs.copyFileSync(file, database);
  else fs.writeFileSync(database, file);
  fs.chmodSync(database, 0o600);
  return { home, database };
}

function serveOnce(home: string) {
  return spawnSync(process.execPath, [COVEN_BIN, "daemon", "serve"], {
    env: { ...process.env, COVEN_HOME: home },
    encoding: "utf8",
    timeout: 15_000,
  });
}

/** Everything the daemon logged: its stdout/stderr and, when it keeps them, its log files. */
function daemonLog(daemon: TestDaemon): string {
  const logs = path.join(daemon.home, "logs");
  const files = fs.existsSync(logs) ? fs.readdirSync(logs).map((name) => path.join(logs, name)) : [];
  return daemon.output() + files.map((file) => fs.readFileSync(file, "utf8")).join("");
}

function integrityCheck(database: string): unknown {
  const db = new Database(database, { readonly: true });
  try {
    return db.pragma("integrity_check", { simple: true });
  } finally {
    db.close();
  }
}

describe("recovery after a daemon dies", () => {
  it("orphans a session that was running when the daemon was SIGKILLed, keeping its history", async () => {
    const kit = fakeHarnessKit();
    const first = await startDaemon({ env: kit.env });
    // Until the SIGKILL below, a failure must stop it (a clean stop also kills its harness); after, a no-op.
    cleanups.push(() => first.stop());
    let api = new RestClient(first.socket);
    const launched = await api.post<SessionRecord>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-stubborn",
      prompt: "",
    });
    expect(launched.status).toBe(201);
    const id = launched.body.id;
    await waitForSessionOutput(api, id, "stubborn ready");
    const before = await allEvents(api, id);
    const launch = before.find((event) => event.kind === "launch")!;
    const harnessPid = JSON.parse(launch.payload_json).pid as number;
    cleanups.push(() => {
      // The harness may have outlived its daemon; whatever is left of its process group goes now.
      for (const target of [-harnessPid, harnessPid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
    await api.close();
    expect(await first.stop("SIGKILL")).toBeNull();

    const { daemon: second, api: secondApi } = await start({ home: first.home, env: kit.env });
    api = secondApi;
    const record = (await api.get<SessionRecord>(`/api/v1/sessions/${id}`)).body;
    expect(record.status).toBe("orphaned");

    const after = await allEvents(api, id);
    // Everything recorded before the crash is still there, unchanged.
    expect(after.slice(0, before.length)).toEqual(before);
    const recovery = after.slice(before.length);
    expect(recovery.map((event) => event.kind)).toEqual(["recovery"]);
    expect(JSON.parse(recovery[0]!.payload_json)).toEqual({
      from: "running",
      to: "orphaned",
      reason: "daemon_restarted",
    });
    const lastSeqBefore = before.at(-1)!.seq;
    expect(recovery[0]!.seq).toBeGreaterThan(lastSeqBefore);
    await waitFor(() => daemonLog(second).includes(id), "the recovered session id in the daemon's log");

    // It is not live under the new daemon: input is refused.
    const input = await api.post<{ error: { code: string } }>(`/api/v1/sessions/${id}/input`, { data: "x" });
    expect(input.status).toBe(409);
    expect(input.body.error.code).toBe("session_not_live");

    // New events continue the sequence without reusing a seq.
    const next = await api.post<SessionRecord>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt: "quick",
    });
    await waitFor(
      async () => (await allEvents(api, next.body.id)).some((e) => e.kind === "exit"),
      "quick exit",
    );
    const nextEvents = await allEvents(api, next.body.id);
    expect(nextEvents[0]!.seq).toBeGreaterThan(recovery[0]!.seq);

    expect(integrityCheck(path.join(first.home, "coven.sqlite3"))).toBe("ok");
  });
});

describe("opening the ledger at start", () => {
  it("migrates a v1 ledger with a backup beside it, and recovers what its daemon left running", async () => {
    const { home } = homeWithLedger(V1_FIXTURE);
    // A long window: this test is about the rows surviving, not about retention.
    const { daemon, api } = await start({ home, env: { COVEN_LOG_RETENTION_DAYS: "36500" } });

    const backups = fs
      .readdirSync(home)
      .filter((name) => /^coven\.sqlite3\.backup-v1-\d{8}T\d{6}Z$/.test(name));
    expect(backups).toHaveLength(1);
    expect(fs.statSync(path.join(home, backups[0]!)).mode & 0o777).toBe(0o600);

    const list = await api.get<{ sessions: SessionRecord[] }>("/api/v1/sessions?includeArchived=true");
    const statuses = Object.fromEntries(list.body.sessions.map((session) => [session.id, session.status]));
    expect(statuses).toEqual({
      "fixture-completed": "completed",
      "fixture-archived-failed": "failed",
      "fixture-running": "orphaned",
      "fixture-created": "failed",
      "fixture-external": "running",
    });
    const completed = await allEvents(api, "fixture-completed");
    expect(completed.map((event) => [event.seq, event.kind])).toEqual([
      [1, "launch"],
      [2, "output"],
      [3, "input"],
      [4, "output"],
      [5, "exit"],
    ]);
    const running = await allEvents(api, "fixture-running");
    expect(running.map((event) => event.kind)).toEqual(["launch", "output", "recovery"]);
    expect(running.at(-1)!.seq).toBeGreaterThan(10);
    await waitFor(() => daemonLog(daemon).includes("fixture-running"), "the recovery log line");
    expect(daemonLog(daemon)).toContain("fixture-created");
  });

  it("prunes events past the retention window at start and reports lastPruneAt in health", async () => {
    const { home } = homeWithLedger(V1_FIXTURE);
    // The fixture's events are from January 2025, far beyond the default 30 days.
    const { api } = await start({ home, env: { COVEN_LOG_RETENTION_DAYS: "" } });
    let storage: { lastPruneAt: string | null; oldestRetainedEventAt: string | null } | undefined;
    await waitFor(async () => {
      storage = (await api.get<{ storage: typeof storage }>("/api/v1/health")).body.storage;
      return storage?.lastPruneAt != null;
    }, "health to report the start-up prune");
    expect(Date.now() - Date.parse(storage!.lastPruneAt!)).toBeLessThan(60_000);
    expect(await allEvents(api, "fixture-completed")).toEqual([]);
    // The recovery event is new, so it stays.
    expect((await allEvents(api, "fixture-running")).map((event) => event.kind)).toEqual(["recovery"]);
  });

  it("refuses a corrupt ledger with its path, exits non-zero, and leaves it byte for byte", () => {
    const garbage = randomBytes(32 * 1024);
    const { home, database } = homeWithLedger(garbage);
    const result = serveOnce(home);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(database);
    expect(result.stderr).toContain("Move it aside");
    expect(fs.readFileSync(database).equals(garbage)).toBe(true);
    expect(fs.existsSync(path.join(home, "coven.sock"))).toBe(false);
    expect(fs.readdirSync(home).filter((name) => name.startsWith("coven.sqlite3"))).toEqual([
      "coven.sqlite3",
    ]);
  });

  it("refuses a ledger from a newer build and leaves it byte for byte", () => {
    const { home, database } = homeWithLedger(V1_FIXTURE);
    const db = new Database(database);
    db.pragma("user_version = 999");
    db.close();
    const bytes = fs.readFileSync(database);
    const result = serveOnce(home);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(database);
    expect(result.stderr).toContain("newer than this build");
    expect(fs.readFileSync(database).equals(bytes)).toBe(true);
    expect(fs.readdirSync(home).filter((name) => name.includes("backup"))).toEqual([]);
  });
});
