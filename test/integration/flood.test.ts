import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";

interface EventRecord {
  seq: number;
  kind: string;
  payload_json: string;
}

/** The flood harness prints 8 MiB as 8192 lines of 1023 "x" + "\n"; the PTY turns each "\n" into "\r\n". */
const FLOOD_BYTES = 8 * 1024 * 1024;
/** Plus the PTY's echo of the input line "go\r" and the closing line. */
const PTY_BYTES = "go\r\n".length + (FLOOD_BYTES / 1024) * 1025 + "flood done\r\n".length;

let daemon: TestDaemon;
let api: RestClient;
let kit: FakeHarnessKit;

beforeAll(async () => {
  kit = fakeHarnessKit();
  // A small queue, so the flood is far more than it holds while commits are stalled.
  daemon = await startDaemon({ env: { ...kit.env, COVEN_EVENT_QUEUE_BYTES: String(64 * 1024) } });
  api = new RestClient(daemon.socket);
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

describe("back-pressure", () => {
  it("drops only output, with exact output_truncated counts, no lost lifecycle events and a gap-free seq", async () => {
    const launched = await api.post<{ id: string }>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-flood",
      prompt: String(FLOOD_BYTES),
    });
    const id = launched.body.id;
    // Another process holds the database's write lock for a while (as a backup tool might): the writer's
    // commits stall on SQLITE_BUSY, the bounded queue fills, and output must be dropped and counted.
    const locker = new Database(path.join(daemon.home, "coven.sqlite3"));
    locker.exec("BEGIN IMMEDIATE");
    // The input reaches the harness at once; its own event commits only after the lock is gone.
    const go = api.post(`/api/v1/sessions/${id}/input`, { data: "go\r" });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const duringLock = (await api.get<any>("/api/v1/health")).body.eventWriter;
    locker.exec("COMMIT");
    locker.close();
    expect((await go).status).toBe(202);
    expect(duringLock.state).not.toBe("healthy");
    expect(duringLock.busyRetries).toBeGreaterThan(0);
    await waitFor(
      async () => (await api.get<{ status: string }>(`/api/v1/sessions/${id}`)).body.status === "completed",
      "the flood to finish",
      60_000,
    );
    const events: EventRecord[] = [];
    for (let afterSeq = 0; ; ) {
      const page = await api.get<{ events: EventRecord[]; hasMore: boolean }>(
        `/api/v1/sessions/${id}/events?afterSeq=${afterSeq}`,
      );
      events.push(...page.body.events);
      if (!page.body.hasMore) break;
      afterSeq = events.at(-1)!.seq;
    }

    const kinds = events.map((event) => event.kind);
    expect(kinds[0]).toBe("launch");
    expect(kinds.at(-1)).toBe("exit");
    expect(kinds.filter((kind) => kind === "launch" || kind === "exit")).toHaveLength(2);
    for (let i = 1; i < events.length; i += 1) expect(events[i]!.seq).toBe(events[i - 1]!.seq + 1);

    const markers = events
      .filter((event) => event.kind === "output_truncated")
      .map((e) => JSON.parse(e.payload_json));
    expect(markers.length).toBeGreaterThan(0);
    // One marker per pressure episode: a marker is always followed by an accepted event, never another marker.
    kinds.forEach((kind, index) => {
      if (kind === "output_truncated") expect(kinds[index + 1]).not.toBe("output_truncated");
    });

    const persisted = events
      .filter((event) => event.kind === "output")
      .reduce((sum, event) => sum + Buffer.byteLength(JSON.parse(event.payload_json).data), 0);
    const droppedBytes = markers.reduce((sum, marker) => sum + marker.droppedBytes, 0);
    const droppedEvents = markers.reduce((sum, marker) => sum + marker.droppedEvents, 0);
    // Every byte the PTY delivered is either stored or counted as dropped.
    expect(persisted + droppedBytes).toBe(PTY_BYTES);

    const health = await api.get<any>("/api/v1/health");
    expect(health.body.eventWriter).toMatchObject({
      droppedOutputBytes: droppedBytes,
      droppedOutputEvents: droppedEvents,
    });
    expect(health.body.eventWriter.state).toBe("healthy");
  }, 90_000); // the flood may take up to a minute on a loaded machine (see the wait above)
});
