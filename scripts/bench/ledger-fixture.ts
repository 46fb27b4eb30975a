import fs from "node:fs";
import path from "node:path";
import { Ledger } from "../../server/ledger/ledger.js";
import { freshSession, type Session } from "../../server/ledger/records.js";

/**
 * The documented fixture generator of the ledger benchmarks: builds `$home/coven.sqlite3` with the daemon's own
 * code (migrations, SessionRepository, the EventWriter), so every row is one the daemon itself would write:
 * `sessions` finished sessions and `events` output events spread over the first two of them (alternating, so
 * the writer does not coalesce them). Run it on a home no daemon is serving.
 */
export const fixtureSessionId = (index: number) => `fixture-${String(index).padStart(6, "0")}`;

export async function generateLedgerFixture(
  home: string,
  options: { sessions: number; events: number },
): Promise<{ eventSessions: [string, string] }> {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const ledger = await Ledger.open(path.join(home, "coven.sqlite3"));
  try {
    const ids = Array.from({ length: options.sessions }, (_, index) => fixtureSessionId(index));
    const base = Date.parse("2026-01-01T00:00:00.000Z");
    for (let start = 0; start < ids.length; start += 1000) {
      await ledger.writer.transact((tx) => {
        for (const [offset, id] of ids.slice(start, start + 1000).entries()) {
          const at = new Date(base + (start + offset) * 1000).toISOString();
          tx.sessions.insert(finishedSession(id, at));
        }
      });
    }
    const eventSessions: [string, string] = [ids[0] as string, ids[1] as string];
    const line = "fixture output line, the kind of text a harness prints\r\n";
    for (let index = 0; index < options.events; index += 1) {
      ledger.writer.appendOutput(eventSessions[index % 2] as string, `${index} ${line}`);
      if (index % 2000 === 1999) await ledger.writer.flush();
    }
    await ledger.writer.flush();
    return { eventSessions };
  } finally {
    await ledger.close();
  }
}

function finishedSession(id: string, at: string): Session {
  return freshSession({
    id,
    projectRoot: "/tmp/coven-bench-project",
    cwd: "/tmp/coven-bench-project",
    harness: "codex",
    title: `fixture session ${id}`,
    status: "completed",
    exitCode: 0,
    createdAt: at,
    updatedAt: at,
    launchMode: "nonInteractive",
  });
}
