import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface EventRecord {
  seq: number;
  id: string;
  session_id: string;
  kind: string;
  payload_json: string;
  created_at: string;
}

/** Opens a home's ledger read-only (a daemon may be running on it: WAL lets both read). */
export function openLedgerReadOnly(home: string): Database.Database {
  return new Database(path.join(home, "coven.sqlite3"), { readonly: true, fileMustExist: true });
}

export function withLedger<T>(home: string, read: (db: Database.Database) => T): T {
  const db = openLedgerReadOnly(home);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function integrityCheck(db: Database.Database): unknown {
  return db.pragma("integrity_check", { simple: true });
}

export function allEvents(db: Database.Database): EventRecord[] {
  return db
    .prepare("SELECT seq, id, session_id, kind, payload_json, created_at FROM events ORDER BY seq")
    .all() as EventRecord[];
}

export function sessionEvents(db: Database.Database, sessionId: string): EventRecord[] {
  return db
    .prepare(
      "SELECT seq, id, session_id, kind, payload_json, created_at FROM events WHERE session_id = ? ORDER BY seq",
    )
    .all(sessionId) as EventRecord[];
}

function stable(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

/**
 * A digest per session: its row (every column, whatever the schema adds later) and all its events in seq
 * order. Two snapshots differ for a session exactly when its row or any of its events changed.
 */
export function sessionDigests(db: Database.Database): Map<string, string> {
  const rows = db.prepare("SELECT * FROM sessions ORDER BY id").all() as Record<string, unknown>[];
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  for (const row of rows) hashes.set(String(row.id), createHash("sha256").update(stable(row)));
  for (const event of db
    .prepare("SELECT seq, id, session_id, kind, payload_json, created_at FROM events ORDER BY seq")
    .iterate() as Iterable<EventRecord>) {
    let hash = hashes.get(event.session_id);
    if (!hash) {
      // An event without its session row would be a foreign-key hole: keep it visible in the digest.
      hash = createHash("sha256").update("orphan-events");
      hashes.set(event.session_id, hash);
    }
    hash.update(`\n${stable(event as unknown as Record<string, unknown>)}`);
  }
  return new Map([...hashes].map(([id, hash]) => [id, hash.digest("hex")]));
}

/** The harness pids recorded in `launch` events. */
export function launchPids(events: EventRecord[]): number[] {
  return events
    .filter((event) => event.kind === "launch")
    .map((event) => (JSON.parse(event.payload_json) as { pid?: number }).pid)
    .filter((pid): pid is number => typeof pid === "number" && pid > 1);
}

/**
 * SIGKILLs each pid's process group and the pid itself; already-gone processes are fine. Only for pids just
 * verified to be ours (see `killHarnesses`): a recorded pid may have been reused by now.
 */
function killProcessTrees(pids: Iterable<number>): void {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** Resident set size of a live process in KiB (from /proc/<pid>/status), or undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ChattyAnalysis {
  /** Numbered lines seen, in stored order. */
  lines: number;
  firstLine: number | undefined;
  lastLine: number | undefined;
  /** `done N` when the harness finished and that line was stored. */
  done: number | undefined;
  /** Input echoes (`I ...`) seen. */
  inputs: string[];
  truncationMarkers: number;
  droppedBytes: number;
  /** Numbered lines missing between stored ones, each gap next to an output_truncated marker. */
  explainedMissing: number;
  /** Anything that should not be: a gap with no marker, a line out of order, a mangled line. */
  problems: string[];
}

/**
 * Reads a rel-chatty session's stored output back: the numbered lines must follow each other without a gap,
 * except across an `output_truncated` marker (where the writer dropped output and said so). Output chunks may be
 * coalesced or split anywhere, so the text is joined between markers and split into lines again; a partial
 * line is only allowed right next to a marker (or at the very end, when the daemon died mid-stream).
 */
export function analyseChattyOutput(
  events: EventRecord[],
  options: { lineBytes: number; endMayBeCut?: boolean },
): ChattyAnalysis {
  const result: ChattyAnalysis = {
    lines: 0,
    firstLine: undefined,
    lastLine: undefined,
    done: undefined,
    inputs: [],
    truncationMarkers: 0,
    droppedBytes: 0,
    explainedMissing: 0,
    problems: [],
  };
  const segments: { text: string; afterMarker: boolean; beforeMarker: boolean }[] = [];
  let current = { text: "", afterMarker: false, beforeMarker: false };
  for (const event of events) {
    if (event.kind === "output_truncated") {
      const payload = JSON.parse(event.payload_json) as { droppedBytes: number; droppedEvents: number };
      result.truncationMarkers += 1;
      result.droppedBytes += payload.droppedBytes;
      current.beforeMarker = true;
      segments.push(current);
      current = { text: "", afterMarker: true, beforeMarker: false };
    } else if (event.kind === "output") {
      current.text += (JSON.parse(event.payload_json) as { data: string }).data;
    }
  }
  segments.push(current);
  let previous: number | undefined;
  let markerSincePrevious = false;
  segments.forEach((segment, index) => {
    if (index > 0) markerSincePrevious = true;
    const parts = segment.text.split("\r\n");
    // What follows the last "\r\n" is a line whose end was not stored.
    const tail = parts.pop() ?? "";
    const tailMayBeCut = segment.beforeMarker || (index === segments.length - 1 && options.endMayBeCut);
    if (tail !== "" && !tailMayBeCut)
      result.problems.push(`unterminated line ${JSON.stringify(tail.slice(0, 40))}`);
    parts.forEach((part, partIndex) => {
      const numbered = /^L(\d+) x*$/.exec(part);
      const wellFormed =
        (numbered !== null && part.length === Math.max(options.lineBytes, `L${numbered[1]} `.length)) ||
        /^done \d+$/.test(part) ||
        /^I ".*"$/.test(part) ||
        part === "quiet ready";
      if (!wellFormed) {
        // Only the first line after a marker may have lost its beginning.
        if (!(partIndex === 0 && segment.afterMarker)) {
          result.problems.push(`mangled line ${JSON.stringify(part.slice(0, 60))} (segment ${index})`);
        }
        return;
      }
      const done = /^done (\d+)$/.exec(part);
      if (done) {
        result.done = Number(done[1]);
        // `done N` follows line N-1: lines missing before it are fine only across a marker.
        const expected = previous === undefined ? 0 : previous + 1;
        if (result.done > expected && !markerSincePrevious) {
          result.problems.push(
            `lines L${expected}..L${result.done - 1} missing before "done" with no marker`,
          );
        } else if (result.done > expected) result.explainedMissing += result.done - expected;
        return;
      }
      const input = /^I (".*")$/.exec(part);
      if (input) {
        result.inputs.push(JSON.parse(input[1]!) as string);
        return;
      }
      if (!numbered) return;
      const n = Number(numbered[1]);
      result.lines += 1;
      result.firstLine ??= n;
      result.lastLine = n;
      const expected = previous === undefined ? 0 : previous + 1;
      if (n < expected) result.problems.push(`L${n} after L${previous}`);
      else if (n > expected && !markerSincePrevious) {
        result.problems.push(
          `gap before L${n} (after ${previous === undefined ? "the start" : `L${previous}`}) with no output_truncated`,
        );
      } else result.explainedMissing += n - expected;
      previous = n;
      markerSincePrevious = false;
    });
  });
  return result;
}

function runsFrom(pid: number, binDir: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.split("\0").some((arg) => arg.startsWith(`${binDir}/`));
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line names an executable under `binDir` (this kit's own harnesses). */
export function processesUnder(binDir: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => runsFrom(pid, binDir));
}

/**
 * Ends the kit's harnesses that are still running (orphaned ones keep running by design when their daemon
 * dies): the pids recorded in `launch` events and whatever else runs from the kit's bin, each checked to be one
 * of ours right before it is killed, never by name.
 */
export function killHarnesses(binDir: string, launchPidsToo: Iterable<number> = []): number {
  const ours = new Set([...launchPidsToo].filter((pid) => runsFrom(pid, binDir)));
  for (const pid of processesUnder(binDir)) ours.add(pid);
  killProcessTrees(ours);
  return ours.size;
}
