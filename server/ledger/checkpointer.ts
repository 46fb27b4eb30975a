import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { WalCheckpointStatus } from "../../contract/health.js";

/** SQLite's own default: checkpoint on the committing connection once the WAL holds this many pages. */
const INLINE_AUTOCHECKPOINT_PAGES = 1000;
const DEFAULT_INTERVAL_MS = 250;
/** Longest a checkpoint waits for the writer to go quiet: the WAL holds at most about this long's commits. */
const DEFAULT_MAX_DEFER_MS = 2000;

export interface CheckpointTiming {
  /** How often the thread looks: a round without commits checkpoints. */
  intervalMs?: number;
  /** Under continuous writing, checkpoint anyway after this long. */
  maxDeferMs?: number;
}

/** The status of a ledger whose connection checkpoints inline (no checkpoint thread). */
export const INLINE_CHECKPOINTS: WalCheckpointStatus = { mode: "inline", completed: 0, lastAt: null };

type WorkerMessage =
  | { type: "ready" }
  | { type: "checkpointed"; frames: number; walFrames: number }
  | { type: "error"; message: string };

/**
 * Moves WAL checkpoints off the event loop. SQLite checkpoints on the connection that commits, every 1,000
 * pages: copying the WAL back into the database (and syncing it) inside the writer's commit was most of what a
 * flood of harness output cost here (12.5 ms per MB stored, 3.8 without), and the PTYs were not read meanwhile.
 * A worker thread with its own connection runs PASSIVE checkpoints instead, which never block the writer, and
 * waits for a quiet round to run them (see `checkpoint-worker.ts`): a flood is copied back after it, not during.
 *
 * If the worker cannot start or dies, the writer's connection goes back to SQLite's inline checkpoints, so the
 * WAL stays bounded either way; `status().mode` says which one is in force.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private mode: WalCheckpointStatus["mode"] = "inline";
  private completed = 0;
  private lastAt: string | null = null;
  private lastError: string | undefined;
  private stopping = false;

  private constructor(private readonly db: Database.Database) {}

  /** Starts the background thread; resolves once it runs (or has fallen back to inline checkpoints). */
  static async start(
    db: Database.Database,
    path: string,
    { intervalMs = DEFAULT_INTERVAL_MS, maxDeferMs = DEFAULT_MAX_DEFER_MS }: CheckpointTiming = {},
  ): Promise<WalCheckpointer> {
    const checkpointer = new WalCheckpointer(db);
    await checkpointer.spawn(path, intervalMs, maxDeferMs);
    return checkpointer;
  }

  status(): WalCheckpointStatus {
    return {
      mode: this.mode,
      completed: this.completed,
      lastAt: this.lastAt,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** Ends the thread after one last checkpoint; the writer's connection checkpoints inline from then on. */
  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    // Waited for: an unref'd worker would let a shutting-down process exit before its cleanup ran.
    worker.ref();
    worker.postMessage("stop");
    await exited;
  }

  private spawn(path: string, intervalMs: number, maxDeferMs: number): Promise<void> {
    return new Promise((resolve) => {
      let worker: Worker;
      try {
        worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), {
          workerData: { path, intervalMs, maxDeferMs },
        });
      } catch (error) {
        this.fallBack(error);
        resolve();
        return;
      }
      this.worker = worker;
      // The ledger stops it on close; a forgotten stop must not keep a process alive.
      worker.unref();
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          this.db.pragma("wal_autocheckpoint = 0");
          this.mode = "background";
          resolve();
        } else if (message.type === "checkpointed") {
          this.completed += 1;
          this.lastAt = new Date().toISOString();
        } else {
          this.lastError = message.message;
        }
      });
      let failed = false;
      worker.once("error", (error) => {
        failed = true;
        this.fallBack(error);
      });
      worker.once("exit", () => {
        this.worker = undefined;
        // After an error the exit is its consequence: the error is the reason worth reporting.
        if (this.stopping || failed) this.inline();
        else this.fallBack(new Error("the checkpoint thread exited"));
        resolve();
      });
    });
  }

  private inline(): void {
    this.mode = "inline";
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
  }

  private fallBack(error: unknown): void {
    // An error thrown in the thread arrives here cloned, and a clone may keep no more than its code.
    const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
    this.lastError =
      typeof message === "string"
        ? message
        : typeof code === "string"
          ? code
          : "the checkpoint thread failed";
    this.inline();
  }
}
