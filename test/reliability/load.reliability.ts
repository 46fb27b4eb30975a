import path from "node:path";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { LIFECYCLE_KINDS } from "../../contract/events.js";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, waitFor } from "../helpers/daemon.js";
import { assertDocumentedResponse } from "../helpers/openapi-validator.js";
import { type ChattyOptions, chattyPrompt, reliabilityKit, removeTempDirs } from "./support/harnesses.js";
import { followSse, Latencies, rawRequest } from "./support/http.js";
import {
  allEvents,
  analyseChattyOutput,
  type EventRecord,
  killHarnesses,
  rssKiB,
  withLedger,
} from "./support/ledger.js";
import { randomInt, seededRandom, sleep, suiteSeed } from "./support/random.js";

/**
 * Load: 32 sessions print numbered lines for 60 s while clients list, page (sessions and events), poll health,
 * send input, kill a few sessions, and follow live streams (the whole ledger and single sessions). Nothing may
 * be lost (each session's lines are gap-free except at documented output_truncated markers; every lifecycle
 * event is there; the streams delivered exactly the ledger), the daemon's memory stays bounded, and no read is
 * slower than the stated bound.
 */

const SESSIONS = Number(process.env.RELIABILITY_LOAD_SESSIONS ?? 32);
const DURATION_MS = Number(process.env.RELIABILITY_LOAD_SECONDS ?? 60) * 1000;
/** Daemon resident memory bound (VmRSS), sampled every second. */
const RSS_BOUND_MIB = 300;
/** Allowed p99 answer time of list, page, events page and health, under this load. */
const LATENCY_BOUND_MS = 2000;
/**
 * Slowest allowed single answer. Looser: one pause of a shared machine (or of the daemon's event loop) makes every
 * request in flight slow at once, and one such pause is not what this test is about.
 */
const LATENCY_MAX_BOUND_MS = 10_000;
const KILLED = 2;
const LINE_BYTES = 100;

const seed = suiteSeed();
const random = seededRandom(seed);
const kit = reliabilityKit();
let daemon: TestDaemon | undefined;

afterAll(async () => {
  await daemon?.stop();
  killHarnesses(kit.bin);
  removeTempDirs([path.dirname(kit.bin), daemon && path.dirname(daemon.home)]);
});

/** Sessions whose first seconds are a flood (as fast as the PTY drains), so the writer is pushed too. */
const FLOODS = 3;
const FLOOD_MS = 8_000;

/**
 * Session i prints 40-320 lines of 100 bytes a second for the whole run (~0.6 MB/s over 32 sessions); the last
 * FLOODS sessions instead flood for FLOOD_MS and end early.
 *
 * The steady sessions wait a second after their last line before they exit. The floods exit at once, as real
 * harnesses do, with the PTY still full while the daemon is busy: the case in which the tail of the output used
 * to be lost (see server/runtime/pty-exit-tail.ts). Every flood must now keep its last line.
 */
function rate(index: number): ChattyOptions {
  if (isFlood(index)) return { lineBytes: LINE_BYTES, linesPerTick: 64, tickMs: 0, durationMs: FLOOD_MS };
  return {
    lineBytes: LINE_BYTES,
    linesPerTick: 1 + (index % 8),
    tickMs: 25,
    durationMs: DURATION_MS,
    lingerMs: 1000,
  };
}

function isFlood(index: number): boolean {
  return index >= SESSIONS - FLOODS;
}

describe("load (32 chatty sessions for 60 s under list, page, stream, input and kill)", () => {
  it("loses nothing, keeps memory bounded and answers reads within the bound", async () => {
    console.log(`[load] seed ${seed}; ${SESSIONS} sessions for ${DURATION_MS / 1000} s`);
    daemon = await startDaemon({ env: { ...kit.env, COVEN_LOG_STDOUT: "0" } });
    const live = daemon;
    const api = new RestClient(live.socket);
    const latencies = new Latencies();
    const stop = new AbortController();
    const failures: string[] = [];

    // The whole-ledger stream, from the very start.
    const streamed: EventRecord[] = [];
    const wholeStream = followSse(
      live.socket,
      "/api/v1/events/stream?afterSeq=0",
      (data, event) => {
        if (event !== "end") streamed.push(JSON.parse(data) as EventRecord);
      },
      stop.signal,
    );
    await sleep(100);

    const started = Date.now();
    const ids: string[] = [];
    for (let index = 0; index < SESSIONS; index += 1) {
      const response = await api.post<{ id: string }>("/api/v1/sessions", {
        projectRoot: kit.projectRoot,
        harness: "rel-chatty",
        prompt: chattyPrompt(rate(index)),
        title: `load ${index}`,
      });
      expect(response.status).toBe(201);
      ids.push(response.body.id);
    }
    const launchMs = Date.now() - started;

    // Per-session streams of a few sessions (they end by themselves after the exit event).
    const followed = ids.slice(0, 4);
    const sessionStreams = new Map<string, EventRecord[]>(followed.map((id) => [id, []]));
    const sessionStreamDone = followed.map((id) =>
      followSse(
        live.socket,
        `/api/v1/sessions/${id}/events/stream`,
        (data, event) => {
          if (event !== "end") sessionStreams.get(id)!.push(JSON.parse(data) as EventRecord);
        },
        stop.signal,
      ),
    );

    const agent = new Agent({ connections: 8, connect: { socketPath: live.socket } });
    const timed = async (kind: string, path: string, method = "GET", body?: unknown) => {
      const response = await rawRequest(agent, {
        method,
        path,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
      });
      latencies.add(kind, response.ms);
      const parsed = response.text ? JSON.parse(response.text) : undefined;
      try {
        assertDocumentedResponse(method, path, response.status, parsed);
      } catch (error) {
        failures.push(`${kind}: ${(error as Error).message.slice(0, 300)}`);
      }
      return { status: response.status, body: parsed };
    };
    const running = () => Date.now() - started < DURATION_MS + 5_000 && !stop.signal.aborted;

    const rss: number[] = [];
    const sampler = (async () => {
      while (running()) {
        const kib = rssKiB(live.process.pid!);
        if (kib !== undefined) rss.push(kib);
        await sleep(1000);
      }
    })();

    const listLoop = (async () => {
      while (running()) {
        const list = await timed("list", "/api/v1/sessions");
        if (list.status !== 200 || list.body.length < SESSIONS) failures.push(`list: ${list.status}`);
        await sleep(100);
      }
    })();

    let pagesWalked = 0;
    const pageLoop = (async () => {
      while (running()) {
        let cursor: string | null = null;
        let seen = 0;
        do {
          const query: string = cursor ? `?limit=5&cursor=${cursor}` : "?limit=5";
          const page = await timed("page", `/api/v1/sessions${query}`);
          if (page.status !== 200) {
            failures.push(`page: ${page.status}`);
            break;
          }
          seen += page.body.sessions.length;
          cursor = page.body.next_cursor;
        } while (cursor && running());
        if (running() && seen !== SESSIONS) failures.push(`paging saw ${seen} sessions, not ${SESSIONS}`);
        pagesWalked += 1;
        await sleep(50);
      }
    })();

    const eventsLoop = (async () => {
      const cursors = new Map<string, number>();
      while (running()) {
        const id = ids[randomInt(random, 0, ids.length - 1)]!;
        const after = cursors.get(id) ?? 0;
        const page = await timed("events", `/api/v1/sessions/${id}/events?afterSeq=${after}&limit=500`);
        if (page.status !== 200) failures.push(`events: ${page.status}`);
        else if (page.body.nextCursor) cursors.set(id, page.body.nextCursor.afterSeq);
        await sleep(20);
      }
    })();

    const healthSamples: { state: string; queuedBytes: number }[] = [];
    const healthLoop = (async () => {
      while (running()) {
        const health = await timed("health", "/api/v1/health");
        if (health.status !== 200) failures.push(`health: ${health.status}`);
        else healthSamples.push(health.body.eventWriter);
        await sleep(250);
      }
    })();

    // Input to random sessions, and two kills halfway through.
    const inputs = new Map<string, string[]>();
    const killed = new Set<string>();
    const inputLoop = (async () => {
      // rel-chatty switches its terminal to raw mode before its first line; typed before that, input would be
      // echoed into its output by the terminal. So input waits until every harness has printed.
      await waitFor(
        () =>
          withLedger(live.home, (db) => {
            const row = db
              .prepare("SELECT count(DISTINCT session_id) AS n FROM events WHERE kind = 'output'")
              .get() as { n: number };
            return row.n >= SESSIONS;
          }),
        "every harness's first line (its terminal in raw mode)",
      );
      let n = 0;
      while (Date.now() - started < DURATION_MS - 5_000) {
        const id = ids[randomInt(random, KILLED, SESSIONS - FLOODS - 1)]!;
        const data = `ping-${n++}\r`;
        const response = await timed("input", `/api/v1/sessions/${id}/input`, "POST", { data });
        if (response.status === 202) inputs.set(id, [...(inputs.get(id) ?? []), data]);
        else failures.push(`input: ${response.status}`);
        if (n === 10) {
          for (const victim of ids.slice(0, KILLED)) {
            const kill = await timed("kill", `/api/v1/sessions/${victim}/kill`, "POST");
            if (kill.status === 200) killed.add(victim);
            else failures.push(`kill: ${kill.status}`);
          }
        }
        await sleep(500);
      }
    })();

    // Every session ends by itself after DURATION_MS (or was killed).
    await waitFor(
      async () => {
        const list = (await api.get<{ id: string; status: string }[]>("/api/v1/sessions")).body;
        return list.filter((s) => ids.includes(s.id)).every((s) => s.status !== "running");
      },
      "every session to end",
      DURATION_MS + 60_000,
    );
    const endedAfterMs = Date.now() - started;
    await waitFor(
      async () => (await api.get<any>("/api/v1/health")).body.eventWriter.queuedEvents === 0,
      "the writer to drain",
    );
    const finalHealth = (await api.get<any>("/api/v1/health")).body;
    // Let the whole-ledger stream catch up with the last commit, then stop every client.
    const lastSeq = withLedger(live.home, (db) => allEvents(db).at(-1)!.seq);
    await waitFor(
      () => (streamed.at(-1)?.seq ?? 0) >= lastSeq,
      "the whole-ledger stream to catch up",
      30_000,
    );
    stop.abort();
    await Promise.all([sampler, listLoop, pageLoop, eventsLoop, healthLoop, inputLoop]);
    const streamEnd = await wholeStream;
    const sessionEnds = await Promise.all(sessionStreamDone);
    await agent.close();
    await api.close();

    const events = withLedger(live.home, allEvents);
    // The global seq: unique, increasing, and with no hole (nothing was ever deleted here).
    events.forEach((event, index) => {
      if (index > 0 && event.seq !== events[index - 1]!.seq + 1) {
        failures.push(`seq ${events[index - 1]!.seq} → ${event.seq}`);
      }
    });
    // The whole-ledger stream delivered exactly the ledger, in order.
    expect(streamEnd.ended).toBe("aborted");
    expect(streamed.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(events));

    const bySession = new Map<string, EventRecord[]>();
    for (const event of events)
      bySession.set(event.session_id, [...(bySession.get(event.session_id) ?? []), event]);
    let lines = 0;
    let markers = 0;
    let droppedBytes = 0;
    for (const id of ids) {
      const own = bySession.get(id) ?? [];
      const kinds = own.map((event) => event.kind);
      expect(kinds[0], `${id} starts with launch`).toBe("launch");
      expect(kinds.at(-1), `${id} ends with exit`).toBe("exit");
      expect(kinds.filter((kind) => kind === "launch")).toHaveLength(1);
      expect(kinds.filter((kind) => kind === "exit")).toHaveLength(1);
      const exit = JSON.parse(own.at(-1)!.payload_json);
      // Every input acknowledged with 202 is recorded, in order.
      const recordedInputs = own
        .filter((e) => e.kind === "input")
        .map((e) => JSON.parse(e.payload_json).data);
      expect(recordedInputs, `${id} inputs`).toEqual(inputs.get(id) ?? []);
      if (killed.has(id)) {
        expect(kinds).toContain("kill");
        expect(exit.status).toBe("killed");
      } else {
        expect(kinds).not.toContain("kill");
        expect(exit).toMatchObject({ status: "completed", exitCode: 0 });
      }
      // No lifecycle kind is ever missing in the middle: nothing but output is lossy.
      expect(
        kinds.filter(
          (kind) => !LIFECYCLE_KINDS.has(kind) && kind !== "output" && kind !== "output_truncated",
        ),
      ).toEqual([]);
      const analysis = analyseChattyOutput(own, {
        lineBytes: LINE_BYTES,
        endMayBeCut: killed.has(id),
      });
      expect(analysis.problems, `${id} output`).toEqual([]);
      if (!killed.has(id)) {
        // The harness says how many lines it printed: each is stored or inside a documented gap.
        expect(analysis.done, `${id} printed its last line`).toBeDefined();
        if (analysis.truncationMarkers === 0) expect(analysis.lines).toBe(analysis.done);
        else expect(analysis.lines + analysis.explainedMissing).toBe(analysis.done);
      }
      lines += analysis.lines;
      markers += analysis.truncationMarkers;
      droppedBytes += analysis.droppedBytes;
      // The single-session streams delivered exactly that session's ledger.
      if (sessionStreams.has(id)) expect(JSON.stringify(sessionStreams.get(id))).toBe(JSON.stringify(own));
    }
    expect(sessionEnds.map((end) => end.ended)).toEqual(followed.map(() => "end"));
    // Every dropped byte the writer counted is announced by a marker.
    expect(droppedBytes).toBe(finalHealth.eventWriter.droppedOutputBytes);

    const maxRssMiB = Math.max(...rss) / 1024;
    const summary = latencies.summary();
    const outputBytes = events
      .filter((e) => e.kind === "output")
      .reduce((sum, e) => sum + Buffer.byteLength(JSON.parse(e.payload_json).data), 0);
    console.log(
      `[load] ${SESSIONS} sessions, launched in ${launchMs} ms, all ended after ${(endedAfterMs / 1000).toFixed(1)} s; ` +
        `${events.length} events (${(outputBytes / 1024 / 1024).toFixed(1)} MiB output, ${lines} lines), ` +
        `${markers} output_truncated markers (${droppedBytes} bytes dropped), writer ` +
        `${finalHealth.eventWriter.transactions} transactions; whole-ledger stream got all ${streamed.length}; ` +
        `${pagesWalked} full page walks; ${[...inputs.values()].flat().length} inputs, ${killed.size} kills; ` +
        `every one of the ${FLOODS} floods kept its last line`,
    );
    console.log(
      `[load] daemon VmRSS max ${maxRssMiB.toFixed(0)} MiB (bound ${RSS_BOUND_MIB}); samples ` +
        `${rss.map((k) => Math.round(k / 1024)).join(",")}`,
    );
    console.log(
      `[load] latency ms (bound p99 < ${LATENCY_BOUND_MS}, max < ${LATENCY_MAX_BOUND_MS}): ${JSON.stringify(summary)}`,
    );
    console.log(
      `[load] writer states seen: ${JSON.stringify(
        Object.fromEntries(
          [...new Set(healthSamples.map((s) => s.state))].map((state) => [
            state,
            healthSamples.filter((s) => s.state === state).length,
          ]),
        ),
      )}, max queued ${Math.max(...healthSamples.map((s) => s.queuedBytes))} bytes`,
    );

    expect(failures).toEqual([]);
    expect(maxRssMiB).toBeLessThan(RSS_BOUND_MIB);
    for (const kind of ["list", "page", "events", "health"]) {
      expect(summary[kind]!.n).toBeGreaterThan(10);
      expect(summary[kind]!.p99, `${kind} p99`).toBeLessThan(LATENCY_BOUND_MS);
      expect(summary[kind]!.max, `${kind} p100`).toBeLessThan(LATENCY_MAX_BOUND_MS);
    }
    expect(finalHealth.eventWriter.state).not.toBe("failed");
  });
});
