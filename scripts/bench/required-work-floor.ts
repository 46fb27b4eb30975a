import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { openLedgerDatabase } from "../../server/ledger/database.js";
import {
  LINGER_FLUSH_BYTES,
  MAX_COALESCED_OUTPUT_BYTES,
  OUTPUT_LINGER_MS,
} from "../../server/ledger/event-writer.js";
import { FLOOD_CACHE_KIB } from "../../server/ledger/flood-page-cache.js";
import { newEventId } from "../../server/policy/ids.js";
import { Redactor } from "../../server/privacy/redactor.js";
import { StreamRedactor } from "../../server/privacy/stream-redactor.js";
import { runRawPty } from "./harness-fixtures.js";

/**
 * The floor under the throughput benchmark: only the work the issue requires for every byte a harness prints,
 * done in the benchmark's own process with nothing around it. It drains node-pty, redacts the stream with the
 * daemon's own `StreamRedactor`, builds each `output` payload's JSON and inserts it into a real ledger (the
 * daemon's schema, pragmas and WAL) in rows and transactions of the sizes the daemon's writer uses under a flood
 * (its own constants, counted in characters: the benchmark's flood is ASCII).
 * No HTTP, no queue, no event feed, no echo guard, no checkpoint while the flood runs.
 *
 * Measured in the same alternating rounds as raw node-pty and the daemon, it separates the daemon's own overhead
 * (daemon ÷ floor) from what the required work costs on this machine (floor ÷ raw).
 */

const SESSION_ID = "required-work-floor";

export interface FloorRound {
  /** UTF-8 bytes of output stored (after redaction). */
  storedBytes: number;
  /** From the spawn to the commit of the last output row, which comes after the harness exited. */
  seconds: number;
  exitCode: number;
}

export class RequiredWorkFloor {
  private constructor(
    private readonly dir: string,
    private readonly db: Database.Database,
    private readonly insertEvent: Database.Statement<[string, string, string, string]>,
  ) {}

  static async open(): Promise<RequiredWorkFloor> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coven-bench-floor-"));
    const { db } = await openLedgerDatabase(path.join(dir, "coven.sqlite3"));
    // The daemon checkpoints on a background thread once the writer is quiet; here, between rounds.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`cache_size = -${FLOOD_CACHE_KIB}`);
    const now = new Date().toISOString();
    db.prepare(
      "INSERT INTO sessions (id, project_root, cwd, harness, title, status, created_at, updated_at) " +
        "VALUES (?, '/', '/', 'bench-flood', 'floor', 'running', ?, ?)",
    ).run(SESSION_ID, now, now);
    const insertEvent = db.prepare<[string, string, string, string]>(
      "INSERT INTO events (id, session_id, kind, payload_json, created_at) VALUES (?, ?, 'output', ?, ?)",
    );
    return new RequiredWorkFloor(dir, db, insertEvent);
  }

  /** Runs `file args` in a PTY and stores its output as the daemon would, with nothing else. */
  async round(file: string, args: string[]): Promise<FloorRound> {
    const redactor = new StreamRedactor(new Redactor());
    let pending: string[] = [];
    let pendingChars = 0;
    let rows: string[] = [];
    let rowChars = 0;
    let storedBytes = 0;
    let linger: NodeJS.Timeout | undefined;

    const commit = () => {
      clearTimeout(linger);
      linger = undefined;
      const batch = rows;
      rows = [];
      rowChars = 0;
      const createdAt = new Date().toISOString();
      this.db.transaction(() => {
        for (const payloadJson of batch)
          this.insertEvent.run(newEventId(), SESSION_ID, payloadJson, createdAt);
      })();
    };
    const cutRow = () => {
      const data = pending.join("");
      pending = [];
      pendingChars = 0;
      storedBytes += Buffer.byteLength(data);
      const payloadJson = JSON.stringify({ data });
      rows.push(payloadJson);
      rowChars += payloadJson.length;
      if (rowChars >= LINGER_FLUSH_BYTES) commit();
      else linger ??= setTimeout(commit, OUTPUT_LINGER_MS);
    };
    const keep = (text: string) => {
      if (text.length === 0) return;
      pending.push(text);
      pendingChars += text.length;
      if (pendingChars >= MAX_COALESCED_OUTPUT_BYTES) cutRow();
    };

    // Keeping the PTY's last output when the harness exits is part of the work (see `readTailBeforeClose`).
    const run = await runRawPty(file, args, (data) => keep(redactor.push(data)), { keepTail: true });
    keep(redactor.flush());
    if (pendingChars > 0) cutRow();
    if (rows.length > 0) commit();
    const seconds = (performance.now() - run.startedAt) / 1000;
    // Outside the clock, as the daemon's benchmark rounds wait for its checkpoint.
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    return { storedBytes, seconds, exitCode: run.exitCode };
  }

  /** Output rows stored so far, for a check that the floor really stored what it was given. */
  storedPayloads(): string[] {
    return this.db
      .prepare<[string], { payload_json: string }>(
        "SELECT payload_json FROM events WHERE session_id = ? ORDER BY seq",
      )
      .all(SESSION_ID)
      .map((row) => row.payload_json);
  }

  close(): void {
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
