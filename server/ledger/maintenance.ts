import fs from "node:fs";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type Database from "better-sqlite3";
import type { PruneRequest, PruneResult, VacuumResult } from "../../contract/maintenance.js";
import { SESSION_STATUSES, TERMINAL_STATUSES } from "../../contract/sessions.js";
import { LAST_PRUNE_AT } from "./daemon-state.js";
import type { Ledger } from "./ledger.js";
import type { StorageMonitor } from "./storage.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Events deleted per writer transaction: small, so PTY output keeps flowing between them. */
export const DEFAULT_PRUNE_BATCH = 500;
export const DEFAULT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
export const DEFAULT_WAL_CHECK_INTERVAL_MS = 60 * 1000;
/** The WAL file is truncated by a checkpoint once it grows past this. */
export const DEFAULT_WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** Sessions whose events are never pruned: they are still being written and followed. */
const LIVE_STATUSES = SESSION_STATUSES.filter((status) => !TERMINAL_STATUSES.has(status));

/** The two pino methods maintenance uses (a pino Logger fits). */
export interface MaintenanceLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface LedgerMaintenanceOptions {
  /** `log_retention_days`: background prunes remove events older than this. */
  retentionDays: number;
  /** Health's storage view: pauses background work while disk is critical, and receives `lastPruneAt`. */
  storage?: Pick<StorageMonitor, "current" | "lastPruneAt">;
  logger?: MaintenanceLogger;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  batchSize?: number;
  pruneIntervalMs?: number;
  walCheckIntervalMs?: number;
  walCheckpointBytes?: number;
}

function fileBytes(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Retention and upkeep of the ledger, all of it written through the event writer:
 *
 * - prune: deletes events recorded before a cutoff, `batchSize` per writer transaction with the event loop
 *   yielded between them, so a large prune never holds the writer for long. Events of live sessions
 *   (`created`, `running`, `idle`) are kept whatever their age: a session still being followed keeps its
 *   whole history. Session rows are kept; `seq` is never reused (AUTOINCREMENT).
 * - checkpoint: `wal_checkpoint(TRUNCATE)` once the WAL passes `walCheckpointBytes`.
 * - vacuum: checkpoint + VACUUM + checkpoint, run alone between writer transactions.
 *
 * Background runs (a prune at start and every `pruneIntervalMs`, a WAL check every `walCheckIntervalMs`) pause
 * while free disk is critical (health's `maintenanceBlocked`); an operator's explicit prune or vacuum does not.
 */
export class LedgerMaintenance {
  private readonly now: () => Date;
  private readonly batchSize: number;
  private readonly countStmt: Database.Statement<[string], { n: number }>;
  private readonly deleteStmt: Database.Statement<[string, number]>;
  private timers: NodeJS.Timeout[] = [];
  /** Maintenance jobs run one at a time, in the order asked. */
  private tail: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: LedgerMaintenanceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.batchSize = options.batchSize ?? DEFAULT_PRUNE_BATCH;
    const prunable =
      "FROM events WHERE created_at < ? AND session_id NOT IN " +
      `(SELECT id FROM sessions WHERE status IN (${LIVE_STATUSES.map((s) => `'${s}'`).join(", ")}))`;
    this.countStmt = ledger.db.prepare(`SELECT count(*) AS n ${prunable}`);
    this.deleteStmt = ledger.db.prepare(`DELETE FROM events WHERE seq IN (SELECT seq ${prunable} LIMIT ?)`);
    if (options.storage) options.storage.lastPruneAt = ledger.state.get(LAST_PRUNE_AT);
  }

  /** Prunes once now (in the background), then on a timer; timers never keep the process alive. */
  start(): void {
    if (this.timers.length > 0) return;
    void this.backgroundPrune();
    this.timers.push(
      setInterval(
        () => void this.backgroundPrune(),
        this.options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS,
      ),
      setInterval(
        () => void this.backgroundCheckpoint(),
        this.options.walCheckIntervalMs ?? DEFAULT_WAL_CHECK_INTERVAL_MS,
      ),
    );
    for (const timer of this.timers) timer.unref();
  }

  /** Stops the timers, ends a background prune after its current batch, and waits for the running job. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.tail.catch(() => {});
  }

  /** Whether background maintenance is paused now (free disk under the critical threshold). */
  blocked(): boolean {
    return this.options.storage?.current().maintenanceBlocked ?? false;
  }

  cutoffFor(olderThanDays: number = this.options.retentionDays): string {
    return new Date(this.now().getTime() - olderThanDays * DAY_MS).toISOString();
  }

  /** Counts (dryRun) or deletes the events recorded before the cutoff, except live sessions'. */
  prune(request: PruneRequest = {}): Promise<PruneResult> {
    return this.serialized(() => this.runPrune(request, false));
  }

  /** Truncates the WAL when it has grown past the threshold. */
  checkpoint(): Promise<{ checkpointed: boolean; walBytesBefore: number }> {
    return this.serialized(async () => {
      const walBytesBefore = fileBytes(`${this.ledger.path}-wal`);
      const threshold = this.options.walCheckpointBytes ?? DEFAULT_WAL_CHECKPOINT_BYTES;
      if (walBytesBefore <= threshold) return { checkpointed: false, walBytesBefore };
      await this.ledger.writer.exclusive((db) => db.pragma("wal_checkpoint(TRUNCATE)"));
      return { checkpointed: true, walBytesBefore };
    });
  }

  /** Rewrites the database file compactly. Blocks the writer (and the event loop) while SQLite works. */
  vacuum(): Promise<VacuumResult> {
    return this.serialized(async () => {
      const bytesBefore = this.ledgerBytes();
      await this.ledger.writer.exclusive((db) => {
        db.pragma("wal_checkpoint(TRUNCATE)");
        db.exec("VACUUM");
        db.pragma("wal_checkpoint(TRUNCATE)");
      });
      return { ok: true as const, bytesBefore, bytesAfter: this.ledgerBytes() };
    });
  }

  private ledgerBytes(): number {
    return fileBytes(this.ledger.path) + fileBytes(`${this.ledger.path}-wal`);
  }

  private async runPrune(request: PruneRequest, background: boolean): Promise<PruneResult> {
    const cutoff = this.cutoffFor(request.olderThanDays);
    if (request.dryRun) return { dryRun: true, cutoff, events: this.countStmt.get(cutoff)?.n ?? 0 };
    let events = 0;
    for (;;) {
      const deleted = await this.ledger.writer.transact(
        () => this.deleteStmt.run(cutoff, this.batchSize).changes,
      );
      events += deleted;
      if (deleted < this.batchSize) break;
      // A background prune gives way to shutdown and to a disk that filled up meanwhile; it resumes next time.
      if (background && (this.stopping || this.blocked())) {
        return { dryRun: false, cutoff, events };
      }
      await yieldToEventLoop();
    }
    const at = this.now().toISOString();
    await this.ledger.writer.transact(() => this.ledger.state.set(LAST_PRUNE_AT, at));
    if (this.options.storage) this.options.storage.lastPruneAt = at;
    return { dryRun: false, cutoff, events };
  }

  private async backgroundPrune(): Promise<void> {
    if (this.stopping) return;
    if (this.blocked()) {
      this.options.logger?.warn({}, "ledger maintenance paused: free disk is critically low");
      return;
    }
    try {
      const result = await this.serialized(() => this.runPrune({}, true));
      this.options.logger?.info(
        { events: result.events, cutoff: result.cutoff, retentionDays: this.options.retentionDays },
        "pruned events past the retention window",
      );
    } catch (error) {
      this.options.logger?.warn({ error: String(error) }, "pruning events failed; retrying at the next run");
    }
    await this.backgroundCheckpoint();
  }

  private async backgroundCheckpoint(): Promise<void> {
    if (this.stopping || this.blocked()) return;
    try {
      const result = await this.checkpoint();
      if (result.checkpointed) {
        this.options.logger?.info({ walBytesBefore: result.walBytesBefore }, "WAL checkpointed (truncated)");
      }
    } catch (error) {
      this.options.logger?.warn(
        { error: String(error) },
        "WAL checkpoint failed; retrying at the next check",
      );
    }
  }

  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => {});
    return run;
  }
}
