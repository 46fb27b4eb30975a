import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StorageStatus } from "../../../contract/health.js";
import { INLINE_CHECKPOINTS } from "../../../server/ledger/checkpointer.js";
import { LAST_PRUNE_AT } from "../../../server/ledger/daemon-state.js";
import { Ledger } from "../../../server/ledger/ledger.js";
import { LedgerMaintenance, type LedgerMaintenanceOptions } from "../../../server/ledger/maintenance.js";
import { tempDir, waitFor } from "../../helpers/daemon.js";
import { recordSession } from "../../helpers/ledger-sessions.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openLedger(): Promise<Ledger> {
  const ledger = await Ledger.open(path.join(tempDir(), "coven.sqlite3"));
  cleanups.push(() => ledger.close());
  return ledger;
}

/** A fake clock that starts now and only moves when told. */
function fakeClock() {
  let now = Date.now();
  return { now: () => new Date(now), advanceDays: (days: number) => (now += days * DAY_MS) };
}

/** Health's storage view, with a switch for "free disk is critical". */
function fakeStorage(critical = false) {
  const storage = {
    critical,
    lastPruneAt: null as string | null,
    current: (): StorageStatus => ({
      status: storage.critical ? "critical" : "ok",
      databaseBytes: 0,
      walBytes: 0,
      freeDiskBytes: storage.critical ? 1 : 2 ** 40,
      oldestRetainedEventAt: null,
      lastPruneAt: storage.lastPruneAt,
      maintenanceBlocked: storage.critical,
      walCheckpoint: INLINE_CHECKPOINTS,
    }),
  };
  return storage;
}

function maintenanceOf(ledger: Ledger, options: Partial<LedgerMaintenanceOptions> = {}) {
  const maintenance = new LedgerMaintenance(ledger, { retentionDays: 30, ...options });
  cleanups.push(() => maintenance.stop());
  return maintenance;
}

function eventKinds(ledger: Ledger, sessionId: string): string[] {
  return ledger.events.page(sessionId, 0, 1000).events.map((event) => event.kind);
}

describe("pruning past the retention window", () => {
  it("removes old events of finished sessions in small transactions, keeps live sessions' events", async () => {
    const ledger = await openLedger();
    const clock = fakeClock();
    const storage = fakeStorage();
    const maintenance = maintenanceOf(ledger, { now: clock.now, storage, batchSize: 2 });
    await recordSession(ledger, "done-1", { output: ["a\r\n"] });
    await recordSession(ledger, "done-2", { output: ["b\r\n"] });
    await recordSession(ledger, "live", { live: true });
    const lastSeq = ledger.events.page("live", 0, 1000).events.at(-1)!.seq;

    // Nothing is older than 30 days yet.
    expect(await maintenance.prune({ dryRun: true })).toMatchObject({ dryRun: true, events: 0 });

    clock.advanceDays(31);
    const dry = await maintenance.prune({ dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      cutoff: new Date(clock.now().getTime() - 30 * DAY_MS).toISOString(),
      events: 6,
    });
    expect(eventKinds(ledger, "done-1")).toEqual(["launch", "output", "exit"]);
    expect(storage.lastPruneAt).toBeNull();

    const transactionsBefore = ledger.writer.status().transactions;
    const pruned = await maintenance.prune();
    expect(pruned).toEqual({ ...dry, dryRun: false });
    // 6 events at 2 per transaction (plus the empty last batch and last_prune_at): never one big transaction.
    expect(ledger.writer.status().transactions - transactionsBefore).toBeGreaterThanOrEqual(4);
    expect(eventKinds(ledger, "done-1")).toEqual([]);
    expect(eventKinds(ledger, "done-2")).toEqual([]);
    expect(eventKinds(ledger, "live")).toEqual(["launch", "output"]);
    // Session rows stay.
    expect(ledger.sessions.get("done-1").status).toBe("completed");

    const at = clock.now().toISOString();
    expect(ledger.state.get(LAST_PRUNE_AT)).toBe(at);
    expect(storage.lastPruneAt).toBe(at);

    // seq keeps growing after the prune.
    const next = await ledger.writer.append("live", "input", { data: "x" });
    expect(next.seq).toBeGreaterThan(lastSeq);
  });

  it("honours olderThanDays over the configured window", async () => {
    const ledger = await openLedger();
    const clock = fakeClock();
    const maintenance = maintenanceOf(ledger, { now: clock.now, retentionDays: 365 });
    await recordSession(ledger, "done");
    clock.advanceDays(2);
    expect((await maintenance.prune({ dryRun: true })).events).toBe(0);
    expect((await maintenance.prune({ olderThanDays: 1.5 })).events).toBe(3);
  });

  it("hands the last prune time recorded by an earlier run to health", async () => {
    const ledger = await openLedger();
    await ledger.writer.transact(() => ledger.state.set(LAST_PRUNE_AT, "2026-01-02T03:04:05.000Z"));
    const storage = fakeStorage();
    maintenanceOf(ledger, { storage });
    expect(storage.lastPruneAt).toBe("2026-01-02T03:04:05.000Z");
  });
});

describe("background maintenance", () => {
  it("prunes at start, and pauses while free disk is critical", async () => {
    const ledger = await openLedger();
    const clock = fakeClock();
    await recordSession(ledger, "done");
    clock.advanceDays(31);

    const storage = fakeStorage(true);
    const paused = maintenanceOf(ledger, { now: clock.now, storage });
    paused.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await paused.stop();
    expect(storage.lastPruneAt).toBeNull();
    expect(eventKinds(ledger, "done")).toHaveLength(3);

    storage.critical = false;
    const running = maintenanceOf(ledger, { now: clock.now, storage });
    running.start();
    await waitFor(() => storage.lastPruneAt !== null, "the start-up prune");
    expect(eventKinds(ledger, "done")).toEqual([]);
  });

  it("truncates the WAL once it passes the threshold", async () => {
    const ledger = await openLedger();
    await recordSession(ledger, "big", { output: ["x".repeat(64 * 1024)] });
    const wal = `${ledger.path}-wal`;
    expect(fs.statSync(wal).size).toBeGreaterThan(64 * 1024);
    const maintenance = maintenanceOf(ledger, { walCheckpointBytes: 1024 * 1024 });
    expect((await maintenance.checkpoint()).checkpointed).toBe(false);
    const forced = maintenanceOf(ledger, { walCheckpointBytes: 1024 });
    expect((await forced.checkpoint()).checkpointed).toBe(true);
    expect(fs.statSync(wal).size).toBe(0);
    // The ledger is still whole and writable.
    expect(ledger.db.pragma("integrity_check", { simple: true })).toBe("ok");
    await ledger.writer.append("big", "input", { data: "after" });
  });
});

describe("vacuum", () => {
  it("runs between writer transactions and gives freed pages back", async () => {
    const ledger = await openLedger();
    const chunk = "y".repeat(16 * 1024);
    await recordSession(ledger, "big", { output: Array.from({ length: 128 }, () => chunk) });
    const maintenance = maintenanceOf(ledger);
    // The cutoff is "now"; let the clock move past the last event's millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await maintenance.prune({ olderThanDays: 0 })).events).toBeGreaterThan(2);

    // Work queued before the vacuum commits before it; work queued after waits for it.
    const before = ledger.writer.append("big", "input", { data: "before" });
    const vacuum = maintenance.vacuum();
    const after = ledger.writer.append("big", "input", { data: "after" });
    const result = await vacuum;
    expect((await before).seq).toBeLessThan((await after).seq);
    expect(result.ok).toBe(true);
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore);
    expect(result.bytesAfter).toBeLessThan(1024 * 1024);
    expect(ledger.db.pragma("integrity_check", { simple: true })).toBe("ok");
  });
});
