import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { SessionStatus } from "../../../contract/sessions.js";
import { recoverSessions } from "../../../server/daemon/recovery.js";
import { Ledger } from "../../../server/ledger/ledger.js";
import { tempDir } from "../../helpers/daemon.js";
import { newSession } from "../../helpers/ledger-sessions.js";

const open: Ledger[] = [];
afterEach(async () => {
  for (const ledger of open.splice(0)) await ledger.close();
});

async function ledgerWith(rows: [id: string, status: SessionStatus, external?: boolean][]): Promise<Ledger> {
  const ledger = await Ledger.open(path.join(tempDir(), "coven.sqlite3"));
  open.push(ledger);
  await ledger.writer.transact((tx) => {
    for (const [id, status, external = false] of rows) {
      tx.sessions.insert(newSession(id, { status, external, pid: status === "created" ? null : 777 }));
    }
  });
  return ledger;
}

function recoveryEvents(ledger: Ledger, sessionId: string) {
  return ledger.events
    .page(sessionId, 0, 100)
    .events.filter((event) => event.kind === "recovery")
    .map((event) => JSON.parse(event.payload_json));
}

describe("recovery at daemon start", () => {
  it("orphans running/idle sessions, fails stale created ones, each with a recovery event", async () => {
    const ledger = await ledgerWith([
      ["running", "running"],
      ["idle", "idle"],
      ["created", "created"],
      ["completed", "completed"],
      ["killed", "killed"],
      ["external", "running", true],
    ]);
    const logged: object[] = [];
    const recovered = await recoverSessions(ledger, { warn: (fields) => logged.push(fields) });

    expect(recovered.map((entry) => [entry.sessionId, entry.from, entry.to])).toEqual(
      expect.arrayContaining([
        ["running", "running", "orphaned"],
        ["idle", "idle", "orphaned"],
        ["created", "created", "failed"],
      ]),
    );
    expect(recovered).toHaveLength(3);
    expect(logged.map((fields) => (fields as { sessionId: string }).sessionId).sort()).toEqual([
      "created",
      "idle",
      "running",
    ]);

    expect(ledger.sessions.get("running")).toMatchObject({ status: "orphaned", pid: 777, exitCode: null });
    expect(ledger.sessions.get("idle").status).toBe("orphaned");
    expect(ledger.sessions.get("created").status).toBe("failed");
    expect(recoveryEvents(ledger, "running")).toEqual([
      { from: "running", to: "orphaned", reason: "daemon_restarted" },
    ]);
    expect(recoveryEvents(ledger, "created")).toEqual([
      { from: "created", to: "failed", reason: "launch_interrupted" },
    ]);

    // Terminal and external sessions are left alone.
    for (const id of ["completed", "killed", "external"]) expect(recoveryEvents(ledger, id)).toEqual([]);
    expect(ledger.sessions.get("external").status).toBe("running");

    // A second start finds nothing left to recover.
    expect(await recoverSessions(ledger)).toEqual([]);
  });

  it("commits each status change together with its recovery event", async () => {
    const ledger = await ledgerWith([["running", "running"]]);
    const commits: string[][] = [];
    ledger.writer.onCommit((events) => commits.push(events.map((event) => event.kind)));
    const transactions = ledger.writer.status().transactions;
    await recoverSessions(ledger);
    expect(ledger.writer.status().transactions).toBe(transactions + 1);
    expect(commits).toEqual([["recovery"]]);
    expect(ledger.sessions.get("running").status).toBe("orphaned");
  });
});
