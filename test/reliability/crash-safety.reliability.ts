import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { readSse } from "../helpers/sse.js";
import { chattyPrompt, reliabilityKit, removeTempDirs } from "./support/harnesses.js";
import {
  allEvents,
  analyseChattyOutput,
  type EventRecord,
  integrityCheck,
  killHarnesses,
  launchPids,
  withLedger,
} from "./support/ledger.js";
import { randomInt, seededRandom, sleep, suiteSeed } from "./support/random.js";

/**
 * Crash safety: the daemon is SIGKILLed at random moments while several harnesses flood it with output, and a
 * live-stream subscriber records every event the daemon acknowledged (sent) before it died. After each restart
 * on the same home the ledger must be intact and hold every acknowledged event unchanged, and whatever was
 * running must be closed honestly (orphaned, or failed if it never got past `created`) with a recovery event.
 */

const ROUNDS = Number(process.env.RELIABILITY_CRASH_ROUNDS ?? 20);
const SESSIONS_PER_ROUND = 3;
/** As fast as the PTYs drain: far more than the writer's queue holds, so the kill lands mid-batch. */
const HEAVY = { lineBytes: 160, linesPerTick: 64, tickMs: 0 };
const TERMINAL = new Set(["completed", "failed", "killed", "orphaned"]);

const seed = suiteSeed();
const random = seededRandom(seed);
const kit = reliabilityKit();
let daemon: TestDaemon | undefined;

afterAll(async () => {
  await daemon?.stop("SIGKILL");
  killHarnesses(kit.bin);
  removeTempDirs([path.dirname(kit.bin), daemon && path.dirname(daemon.home)]);
});

interface RoundReport {
  round: number;
  mode: "running" | "launching";
  killAfterMs: number;
  acknowledged: number;
  sessions: { id: string; status: string; lines: number; markers: number }[];
  restartMs: number;
  /** Harness processes still running after the kill, which the test ended. */
  leftovers: number;
}

describe("crash safety (SIGKILL during heavy output)", () => {
  it(`keeps every acknowledged event and recovers interrupted sessions over ${ROUNDS} kills`, async () => {
    console.log(`[crash] seed ${seed} (replay: RELIABILITY_SEED=${seed})`);
    daemon = await startDaemon({ env: kit.env });
    const home = daemon.home;
    let lastSeq = 0;
    const known = new Set<string>();
    const reports: RoundReport[] = [];

    for (let round = 1; round <= ROUNDS; round += 1) {
      const live: TestDaemon = daemon;
      const api = new RestClient(live.socket);
      // Most rounds kill while the sessions run; some while launches are still in flight.
      const mode: RoundReport["mode"] = round % 5 === 0 ? "launching" : "running";
      const acknowledged: EventRecord[] = [];
      // The stream may only break because of the kill: anything that ends it before (a refused or failed
      // subscription) would leave nothing acknowledged to check, and fails the round instead.
      let killed = false;
      let streamFailure: unknown;
      const subscriber = readSse(live.socket, `/api/v1/events/stream?afterSeq=${lastSeq}`, (message) => {
        if (message.event !== "end") acknowledged.push(JSON.parse(message.data) as EventRecord);
        return true;
      }).then(
        (result) => {
          if (!killed) streamFailure = `the stream ended before the kill: ${JSON.stringify(result)}`;
        },
        (error: unknown) => {
          if (!killed) streamFailure = error;
        },
      );
      // Give the subscription a moment to be established before the output starts.
      await sleep(50);
      const launches = Array.from({ length: SESSIONS_PER_ROUND }, () =>
        api
          .post<{ id: string; status: string }>("/api/v1/sessions", {
            projectRoot: kit.projectRoot,
            harness: "rel-chatty",
            prompt: chattyPrompt(HEAVY),
          })
          .then(
            (response) => response,
            (error: unknown) => error,
          ),
      );
      const launched: string[] = [];
      let killAfterMs: number;
      if (mode === "running") {
        for (const response of await Promise.all(launches)) {
          expect(response).toMatchObject({ status: 201 });
          launched.push((response as { body: { id: string } }).body.id);
        }
        killAfterMs = randomInt(random, 100, 2500);
      } else {
        // A launch takes some 70-100 ms here: a kill in that span may land between a session's row and its
        // launch event, which recovery closes as `failed`. Timing decides whether it does, so the summary counts
        // such sessions without requiring one; test/unit/daemon/recovery.test.ts checks that path for certain.
        killAfterMs = randomInt(random, 0, 120);
      }
      await sleep(killAfterMs);
      killed = true;
      expect(await live.stop("SIGKILL")).toBeNull();
      await subscriber;
      expect(streamFailure, `round ${round}: the subscriber`).toBeUndefined();
      // Every launch answered 201 at least 100 ms before the kill: its launch event was committed and pushed.
      const launchesSeen = acknowledged.filter((event) => event.kind === "launch").map((e) => e.session_id);
      expect(launchesSeen, `round ${round}: launch events streamed`).toEqual(
        expect.arrayContaining(launched),
      );
      await api.close().catch(() => {});

      const restartStarted = Date.now();
      daemon = await startDaemon({ home, env: kit.env });
      const restartMs = Date.now() - restartStarted;

      const report = withLedger(home, (db) => {
        expect(integrityCheck(db)).toBe("ok");
        expect(db.pragma("foreign_key_check")).toEqual([]);
        const counts = db
          .prepare("SELECT count(*) AS n, count(DISTINCT seq) AS seqs, count(DISTINCT id) AS ids FROM events")
          .get() as { n: number; seqs: number; ids: number };
        expect(counts.seqs).toBe(counts.n);
        expect(counts.ids).toBe(counts.n);
        const events = allEvents(db);
        const bySeq = new Map(events.map((event) => [event.seq, event]));

        // The stream itself delivered each seq once, in order, after the cursor.
        acknowledged.forEach((event, index) => {
          expect(event.seq).toBeGreaterThan(index === 0 ? lastSeq : acknowledged[index - 1]!.seq);
        });
        // Every event acknowledged before the kill is still there, byte for byte.
        const missing = acknowledged.filter((event) => {
          const stored = bySeq.get(event.seq);
          return !stored || JSON.stringify(stored) !== JSON.stringify(event);
        });
        expect(missing, `round ${round}: acknowledged events lost or changed`).toEqual([]);

        const sessions = db.prepare("SELECT id, status, external FROM sessions").all() as {
          id: string;
          status: string;
          external: number;
        }[];
        // Nothing the dead daemon ran is reported as live.
        expect(sessions.filter((s) => !s.external && !TERMINAL.has(s.status))).toEqual([]);
        const fresh = sessions.filter((session) => !known.has(session.id));
        for (const id of launched) expect(fresh.map((session) => session.id)).toContain(id);
        const summaries: RoundReport["sessions"] = [];
        const roundPids: number[] = [];
        for (const session of fresh) {
          known.add(session.id);
          const own = events.filter((event) => event.session_id === session.id);
          roundPids.push(...launchPids(own));
          const recovery = own.at(-1)!;
          expect(recovery.kind, `round ${round}: ${session.id} ends with its recovery event`).toBe(
            "recovery",
          );
          expect(own.filter((event) => event.kind === "recovery")).toHaveLength(1);
          const payload = JSON.parse(recovery.payload_json);
          if (own.some((event) => event.kind === "launch")) {
            expect(session.status).toBe("orphaned");
            expect(payload).toEqual({ from: "running", to: "orphaned", reason: "daemon_restarted" });
          } else {
            expect(session.status).toBe("failed");
            expect(payload).toEqual({ from: "created", to: "failed", reason: "launch_interrupted" });
          }
          if (launched.includes(session.id)) expect(session.status).toBe("orphaned");
          // The recovery event comes after everything the dead daemon had committed for the session.
          expect(recovery.seq).toBeGreaterThan(Math.max(lastSeq, ...acknowledged.map((event) => event.seq)));
          // What was committed is a clean prefix of the harness's output (gaps only at truncation markers).
          const analysis = analyseChattyOutput(own, { lineBytes: HEAVY.lineBytes, endMayBeCut: true });
          expect(analysis.problems, `round ${round}: ${session.id} output`).toEqual([]);
          summaries.push({
            id: session.id,
            status: session.status,
            lines: analysis.lines,
            markers: analysis.truncationMarkers,
          });
        }
        lastSeq = events.at(-1)?.seq ?? lastSeq;
        return { sessions: summaries, acknowledged: acknowledged.length, pids: roundPids };
      });
      // Orphaned harnesses keep running by design; this test ends them: the pids of this round's launch events
      // and any harness whose launch event never committed (the new daemon runs nothing yet).
      const leftovers = killHarnesses(kit.bin, report.pids);

      // The API agrees with the file.
      const check = new RestClient(daemon.socket);
      for (const { id, status } of report.sessions) {
        expect((await check.get<{ status: string }>(`/api/v1/sessions/${id}`)).body.status).toBe(status);
      }
      await check.close();
      reports.push({
        round,
        mode,
        killAfterMs,
        restartMs,
        leftovers,
        acknowledged: report.acknowledged,
        sessions: report.sessions,
      });
    }

    const acknowledgedTotal = reports.reduce((sum, report) => sum + report.acknowledged, 0);
    const orphaned = reports.flatMap((r) => r.sessions).filter((s) => s.status === "orphaned").length;
    const failed = reports.flatMap((r) => r.sessions).filter((s) => s.status === "failed").length;
    const markers = reports.flatMap((r) => r.sessions).reduce((sum, s) => sum + s.markers, 0);
    const restarts = reports.map((r) => r.restartMs);
    console.log(
      `[crash] ${ROUNDS} SIGKILLs: ${acknowledgedTotal} acknowledged events all kept; ${orphaned} sessions ` +
        `orphaned, ${failed} failed (launch interrupted); ${markers} output_truncated markers; ledger ` +
        `${lastSeq} events; restart ${Math.min(...restarts)}-${Math.max(...restarts)} ms`,
    );
    for (const report of reports) {
      console.log(
        `[crash]   round ${report.round} (${report.mode}, kill after ${report.killAfterMs} ms): ` +
          `${report.acknowledged} acknowledged, ${report.leftovers} leftover harnesses ended, ` +
          report.sessions.map((s) => `${s.status}/${s.lines} lines/${s.markers} markers`).join(", "),
      );
    }
    expect(acknowledgedTotal).toBeGreaterThan(ROUNDS * 10);
  });
});
