import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Agent, request } from "undici";
import { median, startBenchDaemon } from "./common.js";
import { stopChild } from "./harness-fixtures.js";
import { fixtureSessionId, generateLedgerFixture } from "./ledger-fixture.js";

/**
 * Ledger reads through the daemon (HTTP over the socket, the REST adapter, the procedure, JSON) against the same
 * query on raw better-sqlite3 in this process, on one fixture: BENCH_LEDGER_EVENTS (default 1,000,000) events and
 * BENCH_LEDGER_SESSIONS (default 10,000) sessions. Targets: both ratios ≤ 2×.
 */
const EVENTS = Number(process.env.BENCH_LEDGER_EVENTS ?? 1_000_000);
const SESSIONS = Number(process.env.BENCH_LEDGER_SESSIONS ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
export const LEDGER_TARGET = 2;

export interface LedgerQueriesResult {
  events: number;
  sessions: number;
  eventPageMs: number;
  rawEventPageMs: number;
  eventPageRatio: number;
  sessionPageMs: number;
  rawSessionPageMs: number;
  sessionPageRatio: number;
  target: number;
  met: boolean;
}

async function timeGet(agent: Agent, url: string): Promise<number> {
  const started = performance.now();
  const response = await request(`http://localhost${url}`, { dispatcher: agent });
  await response.body.text();
  const elapsed = performance.now() - started;
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
  return elapsed;
}

/**
 * One sample of each side at the same position, the side going first alternating: whichever reads a position
 * first finds the file's pages colder.
 */
async function samplePair(
  sample: number,
  daemonSide: () => Promise<number>,
  rawSide: () => number,
  ours: number[],
  baseline: number[],
): Promise<void> {
  if (sample % 2 === 0) {
    ours.push(await daemonSide());
    baseline.push(rawSide());
  } else {
    baseline.push(rawSide());
    ours.push(await daemonSide());
  }
}

function timeRaw(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

/**
 * BENCH_LEDGER_HOME keeps the fixture between runs (it takes a while to build): the first run generates it
 * there, later runs reuse it as it is.
 */
async function fixtureHome(): Promise<{
  home: string;
  eventSessions: [string, string];
  cleanup: () => void;
}> {
  const kept = process.env.BENCH_LEDGER_HOME;
  if (kept && fs.existsSync(path.join(kept, "coven.sqlite3"))) {
    return { home: kept, eventSessions: [fixtureSessionId(0), fixtureSessionId(1)], cleanup: () => {} };
  }
  const root = kept ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "coven-bench-ledger-"));
  const home = kept ?? path.join(root as string, "home");
  const { eventSessions } = await generateLedgerFixture(home, { sessions: SESSIONS, events: EVENTS });
  const cleanup = () => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  };
  return { home, eventSessions, cleanup };
}

export async function benchLedgerQueries(): Promise<LedgerQueriesResult> {
  const { home, eventSessions, cleanup } = await fixtureHome();
  try {
    const daemon = await startBenchDaemon({}, home);
    const agent = new Agent({ connect: { socketPath: daemon.socket } });
    const raw = new Database(path.join(home, "coven.sqlite3"), { readonly: true });
    try {
      const eventPage = raw.prepare(
        "SELECT seq, id, session_id, kind, payload_json, created_at FROM events " +
          "WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      );
      const sessionPage = raw.prepare(
        "SELECT * FROM sessions WHERE archived_at IS NULL AND (created_at < ? OR (created_at = ? AND id < ?)) " +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
      );
      const session = eventSessions[0];
      const maxSeq = (raw.prepare("SELECT max(seq) AS seq FROM events").get() as { seq: number }).seq;
      const sessionRows = raw
        .prepare("SELECT created_at, id FROM sessions ORDER BY created_at DESC, id DESC")
        .all() as { created_at: string; id: string }[];
      const ours = { events: [] as number[], sessions: [] as number[] };
      const baseline = { events: [] as number[], sessions: [] as number[] };
      // Warm-up of both paths, then each scenario on its own, alternating daemon and raw samples at random
      // positions (one scenario's garbage is not collected in the other's timings).
      await timeGet(agent, `/api/v1/sessions/${session}/events?afterSeq=0&limit=1000`);
      await timeGet(agent, "/api/v1/sessions?limit=100");
      for (let sample = 0; sample < SAMPLES; sample += 1) {
        const afterSeq = Math.floor(Math.random() * Math.max(1, maxSeq - 2500));
        await samplePair(
          sample,
          () => timeGet(agent, `/api/v1/sessions/${session}/events?afterSeq=${afterSeq}&limit=1000`),
          () => timeRaw(() => eventPage.all(session, afterSeq, 1001)),
          ours.events,
          baseline.events,
        );
      }
      for (let sample = 0; sample < SAMPLES; sample += 1) {
        const key = sessionRows[Math.floor(Math.random() * Math.max(1, sessionRows.length - 200))] as {
          created_at: string;
          id: string;
        };
        const cursor = Buffer.from(JSON.stringify([key.created_at, key.id])).toString("base64url");
        await samplePair(
          sample,
          () => timeGet(agent, `/api/v1/sessions?limit=100&cursor=${cursor}`),
          () => timeRaw(() => sessionPage.all(key.created_at, key.created_at, key.id, 101)),
          ours.sessions,
          baseline.sessions,
        );
      }
      const result = {
        events: EVENTS,
        sessions: SESSIONS,
        eventPageMs: median(ours.events),
        rawEventPageMs: median(baseline.events),
        sessionPageMs: median(ours.sessions),
        rawSessionPageMs: median(baseline.sessions),
      };
      const eventPageRatio = result.eventPageMs / result.rawEventPageMs;
      const sessionPageRatio = result.sessionPageMs / result.rawSessionPageMs;
      return {
        ...result,
        eventPageRatio,
        sessionPageRatio,
        target: LEDGER_TARGET,
        met: eventPageRatio <= LEDGER_TARGET && sessionPageRatio <= LEDGER_TARGET,
      };
    } finally {
      raw.close();
      await agent.close();
      await stopChild(daemon.child);
    }
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchLedgerQueries();
  console.log(
    `event page of 1,000 from ${result.events} events: daemon ${result.eventPageMs.toFixed(2)} ms, raw ` +
      `better-sqlite3 ${result.rawEventPageMs.toFixed(2)} ms, ratio ${result.eventPageRatio.toFixed(2)}×; ` +
      `session page of 100 from ${result.sessions}: daemon ${result.sessionPageMs.toFixed(2)} ms, raw ` +
      `${result.rawSessionPageMs.toFixed(2)} ms, ratio ${result.sessionPageRatio.toFixed(2)}× ` +
      `(target ≤ ${result.target}×) ${result.met ? "met" : "NOT MET"}`,
  );
}
