import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { COVEN_BIN, startDaemon, type TestDaemon, tempDir, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";
import { assertMatchesComponent } from "../helpers/openapi-validator.js";
import { waitForSessionOutput } from "../helpers/session-events.js";

interface SessionRecord {
  id: string;
  status: string;
}
interface EventRecord {
  seq: number;
  kind: string;
  payload_json: string;
}
interface PruneResult {
  dryRun: boolean;
  cutoff: string;
  events: number;
}
interface VacuumResult {
  ok: true;
  bytesBefore: number;
  bytesAfter: number;
}

let kit: FakeHarnessKit;
let daemon: TestDaemon;
let api: RestClient;
let finished: string;
let live: string;

/** Runs the built CLI against the test daemon's home (asynchronously: the daemon answers in this process's tests). */
function coven(
  args: string[],
  home = daemon.home,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [COVEN_BIN, ...args], {
      env: { ...process.env, ...kit.env, COVEN_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function events(sessionId: string): Promise<EventRecord[]> {
  return (await api.get<{ events: EventRecord[] }>(`/api/v1/sessions/${sessionId}/events`)).body.events;
}

async function launch(harness: string, prompt: string): Promise<string> {
  const response = await api.post<SessionRecord>("/api/v1/sessions", {
    projectRoot: kit.projectRoot,
    harness,
    prompt,
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

function countEvents(database: string, sessionId: string): number {
  const db = new Database(database, { readonly: true });
  try {
    return (
      db.prepare("SELECT count(*) AS n FROM events WHERE session_id = ?").get(sessionId) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  kit = fakeHarnessKit();
  // A long window, so only the operator's explicit prunes below remove anything.
  daemon = await startDaemon({ env: { ...kit.env, COVEN_LOG_RETENTION_DAYS: "3650" } });
  api = new RestClient(daemon.socket);
  finished = await launch("fake-echo", "quick");
  live = await launch("fake-stubborn", "");
  await waitFor(async () => (await events(finished)).some((event) => event.kind === "exit"), "quick exit");
  await waitForSessionOutput(api, live, "stubborn ready");
  // The prunes below use a cutoff of "now": let the clock move past the last event's millisecond.
  await new Promise((resolve) => setTimeout(resolve, 10));
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

describe("maintenance routes while the daemon runs", () => {
  it("records the start-up prune in health", async () => {
    await waitFor(async () => {
      const health = await api.get<{ storage: { lastPruneAt: string | null } }>("/api/v1/health");
      return health.body.storage.lastPruneAt !== null;
    }, "lastPruneAt");
  });

  it("checkpoints the WAL on its own thread, never inline in the writer's commits", async () => {
    interface Storage {
      databaseBytes: number;
      walCheckpoint: { mode: string; completed: number; lastAt: string | null };
    }
    let storage: Storage | undefined;
    // The daemon's file grows only when WAL pages are copied into it: its schema and the events above are
    // several pages, so a file larger than a few pages proves the checkpoints ran, not just that they were counted.
    await waitFor(async () => {
      storage = (await api.get<{ storage: Storage }>("/api/v1/health")).body.storage;
      return storage.walCheckpoint.completed > 0 && storage.databaseBytes > 8 * 4096;
    }, "a background checkpoint");
    expect(storage?.walCheckpoint.mode).toBe("background");
    expect(Date.parse(storage?.walCheckpoint.lastAt ?? "")).toBeGreaterThan(0);
  });

  it("counts without deleting on a dry run (route and CLI)", async () => {
    const finishedEvents = (await events(finished)).length;
    const dry = await api.post<PruneResult>("/api/v1/maintenance/prune", { dryRun: true, olderThanDays: 0 });
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.events).toBe(finishedEvents);
    expect(await events(finished)).toHaveLength(finishedEvents);

    const cli = await coven(["logs", "prune", "--dry-run", "--older-than", "0", "--json"]);
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);
    const result = JSON.parse(cli.stdout) as PruneResult;
    assertMatchesComponent("PruneResult", result);
    expect(result).toMatchObject({ dryRun: true, events: finishedEvents });

    const human = await coven(["logs", "prune", "--dry-run", "--older-than", "0"]);
    expect(human.stdout).toContain(`Would prune ${finishedEvents} events`);
    expect(human.stdout).toContain("by the daemon");
    expect(await events(finished)).toHaveLength(finishedEvents);
  });

  it("refuses bad input with the error envelope", async () => {
    const bad = await api.post<{ error: { code: string } }>("/api/v1/maintenance/prune", {
      olderThanDays: -1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
    const unknown = await api.post<{ error: { code: string } }>("/api/v1/maintenance/prune", { days: 3 });
    expect(unknown.status).toBe(400);
    const cli = await coven(["logs", "prune", "--older-than", "soon"]);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain("--older-than");
  });

  it("prunes old events of finished sessions, never a live session's, and updates lastPruneAt", async () => {
    const finishedEvents = (await events(finished)).length;
    const liveEvents = await events(live);
    const before = Date.now();
    const pruned = await api.post<PruneResult>("/api/v1/maintenance/prune", { olderThanDays: 0 });
    expect(pruned.status).toBe(200);
    expect(pruned.body).toMatchObject({ dryRun: false, events: finishedEvents });
    expect(await events(finished)).toEqual([]);
    expect((await api.get<SessionRecord>(`/api/v1/sessions/${finished}`)).body.status).toBe("completed");
    expect((await events(live)).slice(0, liveEvents.length)).toEqual(liveEvents);

    await waitFor(async () => {
      const health = await api.get<{ storage: { lastPruneAt: string | null } }>("/api/v1/health");
      return Date.parse(health.body.storage.lastPruneAt ?? "") >= before - 1;
    }, "health to report the new prune");

    // Nothing is left to prune; the CLI goes through the daemon too.
    const cli = await coven(["logs", "prune", "--older-than", "0", "--json"]);
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ dryRun: false, events: 0 });
  });

  it("vacuums (route and CLI)", async () => {
    const vacuum = await api.post<VacuumResult>("/api/v1/maintenance/vacuum");
    expect(vacuum.status).toBe(200);
    expect(vacuum.body.ok).toBe(true);
    expect(vacuum.body.bytesAfter).toBeGreaterThan(0);

    const cli = await coven(["vacuum", "--json"]);
    expect(cli.status).toBe(0);
    assertMatchesComponent("VacuumResult", JSON.parse(cli.stdout));
    const human = await coven(["vacuum"]);
    expect(human.stdout).toMatch(/^Vacuumed the ledger by the daemon: .* → .*\.\n$/);

    // The daemon still records after a vacuum.
    const input = await api.post(`/api/v1/sessions/${live}/input`, { data: "still here\r" });
    expect(input.status).toBe(202);
  });
});

describe("maintenance commands without a daemon", () => {
  it("work on the database directly once the daemon has stopped", async () => {
    expect(await daemon.stop()).toBe(0);
    const database = path.join(daemon.home, "coven.sqlite3");
    // The stubborn session was killed at shutdown, so it is finished now and its events may go.
    const liveEvents = countEvents(database, live);
    expect(liveEvents).toBeGreaterThan(0);

    const dry = await coven(["logs", "prune", "--dry-run", "--older-than", "0", "--json"]);
    expect(dry.stderr).toBe("");
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, events: liveEvents });
    expect(countEvents(database, live)).toBe(liveEvents);

    await new Promise((resolve) => setTimeout(resolve, 10));
    const pruned = await coven(["logs", "prune", "--older-than", "0"]);
    expect(pruned.status).toBe(0);
    expect(pruned.stdout).toContain(`Pruned ${liveEvents} events`);
    expect(pruned.stdout).toContain("no daemon was running");
    expect(countEvents(database, live)).toBe(0);

    const vacuum = await coven(["vacuum", "--json"]);
    expect(vacuum.status).toBe(0);
    assertMatchesComponent("VacuumResult", JSON.parse(vacuum.stdout));

    const db = new Database(database, { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.prepare("SELECT value FROM daemon_state WHERE key = 'last_prune_at'").get()).toBeTruthy();
    db.close();
    expect(fs.existsSync(daemon.socket)).toBe(false);
  });

  it("does not take another server's answer on the socket for a result (a dry run is never reported as a prune)", async () => {
    const home = path.join(tempDir(), "impostor-home");
    fs.mkdirSync(home, { mode: 0o700 });
    const impostor = http.createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => impostor.listen(path.join(home, "coven.sock"), resolve));
    try {
      for (const args of [["logs", "prune", "--dry-run"], ["vacuum"]]) {
        const result = await coven(args, home);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("is not a Coven daemon of this version");
        expect(result.stdout).toBe("");
      }
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it("refuses a home without a ledger instead of creating one", async () => {
    const home = path.join(tempDir(), "empty-home");
    fs.mkdirSync(home, { mode: 0o700 });
    const result = await coven(["vacuum"], home);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(path.join(home, "coven.sqlite3"));
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
