import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_PAGE_PAYLOAD_BYTES } from "../../../server/ledger/event-repository.js";
import { Ledger } from "../../../server/ledger/ledger.js";
import { LATEST_SCHEMA_VERSION } from "../../../server/ledger/migrations.js";
import { tempDir } from "../../helpers/daemon.js";
import { newSession } from "../../helpers/ledger-sessions.js";

const open: Ledger[] = [];
afterEach(async () => {
  for (const ledger of open.splice(0)) await ledger.close();
});

async function openLedger(options: Parameters<typeof Ledger.open>[1] = {}) {
  const ledger = await Ledger.open(path.join(tempDir(), "coven.sqlite3"), options);
  open.push(ledger);
  return ledger;
}

/** A live session row: the writer tests append events to it. */
function session(id: string) {
  return newSession(id, { status: "running", launchMode: null });
}

describe("the ledger database", () => {
  it("uses WAL, foreign keys, and records the schema version", async () => {
    const ledger = await openLedger();
    expect(ledger.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(ledger.db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(ledger.db.pragma("user_version", { simple: true })).toBe(LATEST_SCHEMA_VERSION);
  });

  it("never reuses a seq, not even after the newest event is deleted", async () => {
    const ledger = await openLedger();
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    const first = await ledger.writer.append("s1", "launch", { harness: "codex", cwd: "/p", pid: 1 });
    const second = await ledger.writer.append("s1", "input", { data: "x" });
    ledger.db.prepare("DELETE FROM events WHERE seq = ?").run(second.seq);
    const third = await ledger.writer.append("s1", "input", { data: "y" });
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(third.seq).toBeGreaterThan(second.seq);
  });

  it("refuses a database newer than this build and leaves it untouched", async () => {
    const file = path.join(tempDir(), "coven.sqlite3");
    const future = new Database(file);
    future.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    future.close();
    await expect(Ledger.open(file)).rejects.toThrow(/newer than this build/);
    const check = new Database(file);
    expect(check.pragma("user_version", { simple: true })).toBe(LATEST_SCHEMA_VERSION + 1);
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
    check.close();
  });
});

describe("the event writer", () => {
  it("commits in acceptance order, coalesces adjacent output and notifies after commit", async () => {
    const ledger = await openLedger();
    const committed: string[] = [];
    ledger.writer.onCommit((events) => committed.push(...events.map((event) => event.kind)));
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    ledger.writer.appendOutput("s1", "hel");
    ledger.writer.appendOutput("s1", "lo");
    await ledger.writer.append("s1", "exit", { status: "completed", exitCode: 0 });
    const page = ledger.events.page("s1", 0, 100);
    expect(page.events.map((event) => [event.kind, JSON.parse(event.payload_json)])).toEqual([
      ["output", { data: "hello" }],
      ["exit", { status: "completed", exitCode: 0 }],
    ]);
    expect(committed).toEqual(["output", "exit"]);
    expect(ledger.writer.status()).toMatchObject({ state: "healthy", committedEvents: 2, queuedEvents: 0 });
  });

  it("drops output past capacity, counts it, and writes one ordered marker before the next event", async () => {
    const ledger = await openLedger({ capacityBytes: 10 });
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    expect(ledger.writer.appendOutput("s1", "0123456789")).toBe(true);
    expect(ledger.writer.appendOutput("s1", "abc")).toBe(false);
    expect(ledger.writer.appendOutput("s1", "defg")).toBe(false);
    expect(ledger.writer.status()).toMatchObject({
      state: "pressured",
      droppedOutputEvents: 2,
      droppedOutputBytes: 7,
    });
    await ledger.writer.append("s1", "exit", { status: "completed", exitCode: 0 });
    const kinds = ledger.events
      .page("s1", 0, 100)
      .events.map((event) => [event.kind, JSON.parse(event.payload_json)]);
    expect(kinds).toEqual([
      ["output", { data: "0123456789" }],
      ["output_truncated", { droppedEvents: 2, droppedBytes: 7 }],
      ["exit", { status: "completed", exitCode: 0 }],
    ]);
    expect(ledger.writer.status().state).toBe("healthy");
  });

  it("rolls back a failing operation alone", async () => {
    const ledger = await openLedger();
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    const failing = ledger.writer.transact((tx) => {
      tx.appendEvent("s1", "input", { data: "lost" });
      throw new Error("boom");
    });
    const kept = ledger.writer.append("s1", "input", { data: "kept" });
    await expect(failing).rejects.toThrow("boom");
    await kept;
    const data = ledger.events.page("s1", 0, 10).events.map((event) => JSON.parse(event.payload_json).data);
    expect(data).toEqual(["kept"]);
  });

  it("redacts lifecycle payloads before they are stored", async () => {
    const ledger = await openLedger({ redactPayload: (payload) => ({ ...payload, data: "[REDACTED]" }) });
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    await ledger.writer.append("s1", "input", { data: "secret" });
    expect(ledger.events.page("s1", 0, 10).events[0]?.payload_json).toBe('{"data":"[REDACTED]"}');
  });
});

describe("output lingering (fake clock: the writer's own timers and performance.now)", () => {
  afterEach(() => vi.useRealTimers());

  async function floodReadyLedger() {
    const ledger = await openLedger();
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "performance"],
    });
    return ledger;
  }
  const chunk = "x".repeat(4096);

  it("commits a short burst of output 2 ms after it arrived", async () => {
    const ledger = await floodReadyLedger();
    const before = ledger.writer.status();
    ledger.writer.appendOutput("s1", "prompt> ");
    await vi.advanceTimersByTimeAsync(1);
    expect(ledger.writer.status().committedEvents).toBe(before.committedEvents);
    await vi.advanceTimersByTimeAsync(1);
    expect(ledger.writer.status()).toMatchObject({
      committedEvents: before.committedEvents + 1,
      transactions: before.transactions + 1,
    });
  });

  it("lets a flood gather for 10 ms from its first chunk, then commits it in one transaction", async () => {
    const ledger = await floodReadyLedger();
    const before = ledger.writer.status();
    for (let i = 0; i < 8; i += 1) ledger.writer.appendOutput("s1", chunk); // 32 KiB within the first 2 ms
    await vi.advanceTimersByTimeAsync(6);
    expect(ledger.writer.status().committedEvents).toBe(before.committedEvents);
    for (let i = 0; i < 8; i += 1) ledger.writer.appendOutput("s1", chunk);
    await vi.advanceTimersByTimeAsync(3);
    expect(ledger.writer.status().committedEvents).toBe(before.committedEvents);
    await vi.advanceTimersByTimeAsync(1);
    const after = ledger.writer.status();
    expect(after.transactions).toBe(before.transactions + 1);
    const outputs = ledger.events.page("s1", 0, 100).events.filter((event) => event.kind === "output");
    const stored = outputs.map((event) => (JSON.parse(event.payload_json) as { data: string }).data);
    expect(stored.join("")).toBe(chunk.repeat(16));
    expect(stored.map((data) => data.length)).toEqual([32 * 1024, 32 * 1024]); // coalesced up to 32 KiB rows
  });

  it("commits at once when a lifecycle event arrives or a flood reaches 1 MiB", async () => {
    const ledger = await floodReadyLedger();
    for (let i = 0; i < 8; i += 1) ledger.writer.appendOutput("s1", chunk);
    await vi.advanceTimersByTimeAsync(3); // past the first 2 ms: a flood, lingering on
    const exitAt = performance.now();
    const exit = ledger.writer.append("s1", "exit", { status: "completed", exitCode: 0 });
    await vi.advanceTimersByTimeAsync(0);
    await expect(exit).resolves.toMatchObject({ kind: "exit" });
    expect(performance.now()).toBe(exitAt);
    expect(ledger.writer.status().queuedEvents).toBe(0);

    for (let i = 0; i < 256; i += 1) ledger.writer.appendOutput("s1", chunk); // 1 MiB
    await vi.advanceTimersByTimeAsync(0);
    expect(ledger.writer.status()).toMatchObject({ queuedEvents: 0, queuedBytes: 0 });
  });
});

describe("event pages", () => {
  it("walk every event exactly once, in order, whatever the limit (pages are read in chunks)", async () => {
    const ledger = await openLedger();
    await ledger.writer.transact((tx) => {
      tx.sessions.insert(session("s1"));
      tx.sessions.insert(session("s2"));
    });
    // Alternating sessions, so the writer does not merge the chunks; sizes vary so later chunks are sized
    // from what the first one held.
    for (let i = 0; i < 1300; i += 1) {
      ledger.writer.appendOutput(i % 2 ? "s2" : "s1", `${i} ${"z".repeat((i * 7919) % 3000)}`);
      if (i % 100 === 99) await ledger.writer.flush();
    }
    await ledger.writer.flush();
    const all = ledger.events.pageAll(0, 1000).events.concat(ledger.events.pageAll(1000, 1000).events);
    const expected = all.filter((event) => event.session_id === "s1").map((event) => event.seq);
    expect(expected).toHaveLength(650);
    for (const limit of [1, 7, 255, 256, 257, 649, 650, 1000]) {
      const seen: number[] = [];
      let afterSeq = 0;
      for (;;) {
        const page = ledger.events.page("s1", afterSeq, limit);
        expect(page.events.length).toBeLessThanOrEqual(limit);
        seen.push(...page.events.map((event) => event.seq));
        if (!page.hasMore) break;
        expect(page.events.length).toBe(limit);
        afterSeq = page.nextCursor!.afterSeq;
      }
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });

  it("end at 4 MiB of payload before the limit, and the cursor continues them without loss", async () => {
    const ledger = await openLedger();
    await ledger.writer.transact((tx) => tx.sessions.insert(session("s1")));
    const chunk = "y".repeat(16 * 1024);
    for (let i = 0; i < 300; i += 1) {
      ledger.writer.appendOutput("s1", chunk);
      await ledger.writer.flush();
    }
    const first = ledger.events.page("s1", 0, 1000);
    expect(first.hasMore).toBe(true);
    expect(first.events.length).toBeLessThan(300);
    const payload = first.events.reduce((sum, event) => sum + event.payload_json.length, 0);
    expect(payload).toBeLessThanOrEqual(MAX_PAGE_PAYLOAD_BYTES);
    const rest = ledger.events.page("s1", first.nextCursor!.afterSeq, 1000);
    expect(rest.hasMore).toBe(false);
    expect(first.events.length + rest.events.length).toBe(300);
  });
});
