import type Database from "better-sqlite3";
import type { EventWriterStatus } from "../../contract/health.js";
import { newEventId } from "../policy/ids.js";
import { FloodPageCache } from "./flood-page-cache.js";
import type { EventRow } from "./records.js";
import { SessionRepository } from "./session-repository.js";

export const DEFAULT_QUEUE_CAPACITY_BYTES = 2 * 1024 * 1024;
/**
 * Adjacent output chunks of one session merge up to this size. Fewer, larger rows cost less per byte stored;
 * 64 KiB rows were no faster than these and raised the daemon's peak RSS under a flood by about 50 MB.
 */
export const MAX_COALESCED_OUTPUT_BYTES = 32 * 1024;
const MAX_BATCH_ITEMS = 4096;
/** How long output may wait for more output before its batch is committed (the live-stream latency cost). */
export const OUTPUT_LINGER_MS = 2;
/**
 * Output still arriving this fast when the linger ends (this much queued within it) is a flood: its batch keeps
 * lingering, up to FLOOD_LINGER_MS from its first chunk, so a flood is stored in few, large transactions while
 * interactive output keeps its 2 ms.
 */
const FLOOD_QUEUED_BYTES = 16 * 1024;
const FLOOD_LINGER_MS = 10;
/** Queued output beyond this (or half the queue, if smaller) is committed without lingering. */
export const LINGER_FLUSH_BYTES = 1024 * 1024;

/** What an operation queued with `transact` may do inside the writer's transaction. */
export interface WriterTx {
  readonly sessions: SessionRepository;
  appendEvent(sessionId: string, kind: string, payload: Record<string, unknown>): EventRow;
}

type QueueItem =
  | { type: "output"; sessionId: string; data: string; bytes: number; createdAt: string }
  | {
      type: "op";
      run: (tx: WriterTx) => unknown;
      resolve: (value: unknown) => void;
      reject: (error: unknown) => void;
      bytes: number;
    }
  | {
      type: "exclusive";
      run: (db: Database.Database) => unknown;
      resolve: (value: unknown) => void;
      reject: (error: unknown) => void;
      bytes: number;
    };
type ExclusiveItem = Extract<QueueItem, { type: "exclusive" }>;
type BatchItem = Exclude<QueueItem, ExclusiveItem>;

export interface EventWriterOptions {
  capacityBytes?: number;
  /** Bounded retries of a batch that hit SQLITE_BUSY before the writer reports `failed`. */
  maxBusyRetries?: number;
  /** Applied to every lifecycle payload before it is stored (output arrives already redacted). */
  redactPayload?: (payload: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * The single writer of the ledger. Everything that changes the database is queued here and committed in
 * batches, one transaction each, in the order it was accepted. Output is the only lossy class: when the queue
 * holds more than `capacityBytes`, output chunks are dropped and counted, and one `output_truncated` marker is
 * queued before the session's next accepted event. Operations (lifecycle events, session rows) are never dropped.
 */
export class EventWriter {
  private readonly queue: QueueItem[] = [];
  private queuedBytes = 0;
  private readonly pendingDrops = new Map<string, { events: number; bytes: number }>();
  private readonly listeners = new Set<(events: EventRow[]) => void>();
  private readonly drainWaiters: (() => void)[] = [];
  private readonly insertEvent: Database.Statement<[string, string, string, string, string]>;
  private readonly tx: WriterTx;
  private readonly capacityBytes: number;
  private readonly maxBusyRetries: number;
  private readonly redactPayload: (payload: Record<string, unknown>) => Record<string, unknown>;
  private readonly pageCache: FloodPageCache;
  private pending: { delayMs: number; timer: NodeJS.Timeout } | undefined;
  /** When the output waiting in the queue started lingering (performance.now()), while it does. */
  private lingerStartedAt: number | undefined;
  private readonly lingerFlushBytes: number;
  /** Consecutive failed attempts at the batch at the head of the queue. */
  private failedAttempts = 0;
  private closed = false;
  private batchCommitted: EventRow[] = [];
  private readonly counters = {
    droppedOutputEvents: 0,
    droppedOutputBytes: 0,
    transactions: 0,
    committedEvents: 0,
    busyRetries: 0,
  };
  private state: EventWriterStatus["state"] = "healthy";
  private lastError: string | undefined;

  constructor(
    private readonly db: Database.Database,
    options: EventWriterOptions = {},
  ) {
    this.capacityBytes = options.capacityBytes ?? DEFAULT_QUEUE_CAPACITY_BYTES;
    this.maxBusyRetries = options.maxBusyRetries ?? 5;
    this.lingerFlushBytes = Math.min(LINGER_FLUSH_BYTES, Math.floor(this.capacityBytes / 2));
    this.redactPayload = options.redactPayload ?? ((payload) => payload);
    this.pageCache = new FloodPageCache(db);
    this.insertEvent = db.prepare(
      "INSERT INTO events (id, session_id, kind, payload_json, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    const sessions = new SessionRepository(db);
    this.tx = {
      sessions,
      appendEvent: (sessionId, kind, payload) =>
        this.insert(sessionId, kind, JSON.stringify(this.redactPayload(payload)), new Date().toISOString()),
    };
  }

  /** Queues a chunk of PTY output (already redacted). Returns false when it was dropped under pressure. */
  appendOutput(sessionId: string, data: string): boolean {
    this.assertOpen();
    const bytes = Buffer.byteLength(data);
    if (this.queuedBytes + bytes > this.capacityBytes) {
      const drops = this.pendingDrops.get(sessionId) ?? { events: 0, bytes: 0 };
      drops.events += 1;
      drops.bytes += bytes;
      this.pendingDrops.set(sessionId, drops);
      this.counters.droppedOutputEvents += 1;
      this.counters.droppedOutputBytes += bytes;
      if (this.state === "healthy") this.state = "pressured";
      return false;
    }
    this.queueTruncationMarker(sessionId);
    const last = this.queue.at(-1);
    if (
      last?.type === "output" &&
      last.sessionId === sessionId &&
      last.bytes + bytes <= MAX_COALESCED_OUTPUT_BYTES
    ) {
      last.data += data;
      last.bytes += bytes;
    } else {
      this.queue.push({ type: "output", sessionId, data, bytes, createdAt: new Date().toISOString() });
    }
    this.queuedBytes += bytes;
    this.scheduleAfterOutput();
    return true;
  }

  /** Queues one lifecycle event; resolves with the stored record once its transaction committed. */
  append(sessionId: string, kind: string, payload: Record<string, unknown>): Promise<EventRow> {
    return this.transact((tx) => tx.appendEvent(sessionId, kind, payload), sessionId);
  }

  /**
   * Queues an operation that runs inside the next batch's transaction (in its own savepoint, so a failing
   * operation rolls back alone). `sessionId` names the session whose events it appends, so a pending
   * truncation marker is ordered before them.
   */
  transact<T>(run: (tx: WriterTx) => T, sessionId?: string): Promise<T> {
    this.assertOpen();
    if (sessionId !== undefined) this.queueTruncationMarker(sessionId);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ type: "op", run, resolve: resolve as (value: unknown) => void, reject, bytes: 0 });
      this.schedule();
    });
  }

  /**
   * Queues work that must run outside any transaction (a WAL checkpoint, VACUUM): it runs alone, after
   * everything accepted before it has committed and before anything accepted after it. A failure rejects
   * the returned promise only; it is not retried and does not mark the writer failed.
   */
  exclusive<T>(run: (db: Database.Database) => T): Promise<T> {
    this.assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        type: "exclusive",
        run,
        resolve: resolve as (value: unknown) => void,
        reject,
        bytes: 0,
      });
      this.schedule();
    });
  }

  /** Subscribes to committed events (in seq order, after their transaction committed). */
  onCommit(listener: (events: EventRow[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once everything queued so far has been committed. */
  flush(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.pageCache.restore();
  }

  status(): EventWriterStatus {
    return {
      state: this.state,
      queuedEvents: this.queue.length,
      queuedBytes: this.queuedBytes,
      capacityBytes: this.capacityBytes,
      ...this.counters,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the event writer is closed");
  }

  private queueTruncationMarker(sessionId: string): void {
    const drops = this.pendingDrops.get(sessionId);
    if (!drops) return;
    this.pendingDrops.delete(sessionId);
    const payload = { droppedEvents: drops.events, droppedBytes: drops.bytes };
    this.queue.push({
      type: "op",
      run: (tx) => tx.appendEvent(sessionId, "output_truncated", payload),
      resolve: () => {},
      reject: () => {},
      bytes: 0,
    });
  }

  private insert(sessionId: string, kind: string, payloadJson: string, createdAt: string): EventRow {
    const id = newEventId();
    const seq = Number(this.insertEvent.run(id, sessionId, kind, payloadJson, createdAt).lastInsertRowid);
    const row: EventRow = {
      seq,
      id,
      session_id: sessionId,
      kind,
      payload_json: payloadJson,
      created_at: createdAt,
    };
    this.batchCommitted.push(row);
    return row;
  }

  /**
   * At most one drain is pending at a time. A pending delayed drain (output lingering, or a stalled batch's
   * retry) is brought forward when an immediate one is asked for, except while a failed batch waits to retry.
   */
  private schedule(delayMs = 0, lingering = false): void {
    if (this.pending) {
      if (delayMs > 0 || this.pending.delayMs === 0 || this.failedAttempts > 0) return;
      clearTimeout(this.pending.timer);
    }
    const run = () => {
      this.pending = undefined;
      if (lingering && this.lingerLonger()) return;
      this.lingerStartedAt = undefined;
      this.drain();
    };
    this.pending = {
      delayMs,
      // Not unref'd: queued work keeps even a short-lived process (the CLI's offline mode) alive until written.
      timer: delayMs > 0 ? setTimeout(run, delayMs) : (setImmediate(run) as unknown as NodeJS.Timeout),
    };
  }

  /**
   * Output waits a moment for more output before it is committed, so a fast harness's many small PTY reads
   * become a few large transactions; anything else, or a queue already holding a batch's worth, goes at once.
   */
  private scheduleAfterOutput(): void {
    if (this.queuedBytes >= this.lingerFlushBytes) {
      this.schedule();
      return;
    }
    this.lingerStartedAt ??= performance.now();
    this.schedule(OUTPUT_LINGER_MS, true);
  }

  /**
   * At the end of a linger, a flood's batch (see FLOOD_QUEUED_BYTES) waits on until FLOOD_LINGER_MS after its
   * first chunk. Returns whether it does; anything queued meanwhile that must go at once still brings it forward.
   */
  private lingerLonger(): boolean {
    if (this.lingerStartedAt === undefined || this.failedAttempts > 0) return false;
    if (this.queuedBytes < FLOOD_QUEUED_BYTES) return false;
    const leftMs = FLOOD_LINGER_MS - (performance.now() - this.lingerStartedAt);
    if (leftMs < 1) return false;
    this.schedule(leftMs);
    return true;
  }

  private drain(): void {
    if (this.queue.length === 0) {
      this.resolveDrainWaiters();
      return;
    }
    const head = this.queue[0];
    if (head?.type === "exclusive") {
      this.runExclusive(head);
      return;
    }
    // A batch ends before the first exclusive item: that one runs between transactions.
    const window = this.queue.slice(0, MAX_BATCH_ITEMS);
    const barrier = window.findIndex((item) => item.type === "exclusive");
    const batch = (barrier < 0 ? window : window.slice(0, barrier)) as BatchItem[];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.batchCommitted = [];
      outcomes.length = 0;
      this.db.transaction(() => this.writeBatch(batch, outcomes))();
    } catch (error) {
      this.batchCommitted = [];
      this.handleBatchFailure(error);
      return;
    }
    this.failedAttempts = 0;
    this.queue.splice(0, batch.length);
    let batchBytes = 0;
    for (const item of batch) batchBytes += item.bytes;
    this.queuedBytes -= batchBytes;
    this.pageCache.committed(batchBytes);
    const committed = this.batchCommitted;
    this.batchCommitted = [];
    this.counters.transactions += 1;
    this.counters.committedEvents += committed.length;
    if (this.state === "failed") {
      this.state = this.pendingDrops.size > 0 ? "pressured" : "healthy";
      this.lastError = undefined;
    }
    batch.forEach((item, index) => {
      if (item.type !== "op") return;
      const outcome = outcomes[index];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
    if (committed.length > 0) for (const listener of this.listeners) listener(committed);
    if (this.queue.length > 0) this.schedule();
    else {
      if (this.state === "pressured" && this.pendingDrops.size === 0) this.state = "healthy";
      this.resolveDrainWaiters();
    }
  }

  private writeBatch(
    batch: BatchItem[],
    outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[],
  ) {
    for (const item of batch) {
      if (item.type === "output") {
        try {
          this.insert(item.sessionId, "output", JSON.stringify({ data: item.data }), item.createdAt);
        } catch (error) {
          // A constraint failure (the session row is gone) loses this chunk only, never the batch.
          if (isBusy(error)) throw error;
        }
        outcomes.push({ ok: true, value: undefined });
        continue;
      }
      const mark = this.batchCommitted.length;
      try {
        const value = this.db.transaction(() => item.run(this.tx))();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (isBusy(error)) throw error;
        this.batchCommitted.length = mark;
        outcomes.push({ ok: false, error });
      }
    }
  }

  private runExclusive(item: ExclusiveItem): void {
    this.queue.shift();
    try {
      item.resolve(item.run(this.db));
    } catch (error) {
      item.reject(error);
    }
    if (this.queue.length > 0) this.schedule();
    else this.resolveDrainWaiters();
  }

  /**
   * SQLITE_BUSY is retried with a growing pause (the event loop stays free meanwhile, so PTY output keeps being
   * read and, if the stall lasts, dropped and counted). After `maxBusyRetries`, or on any other error, the writer
   * reports `failed`. Nothing is discarded: the batch stays at the head of the queue and is retried every second.
   */
  private handleBatchFailure(error: unknown): void {
    this.failedAttempts += 1;
    if (isBusy(error)) this.counters.busyRetries += 1;
    if (isBusy(error) && this.failedAttempts <= this.maxBusyRetries) {
      this.schedule(10 * 2 ** (this.failedAttempts - 1));
      return;
    }
    this.state = "failed";
    this.lastError = error instanceof Error ? error.message : String(error);
    this.schedule(1000);
  }

  private resolveDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code === "SQLITE_BUSY_SNAPSHOT";
}
