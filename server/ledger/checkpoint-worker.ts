import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { CheckpointPacing } from "./checkpoint-pacing.js";

/**
 * The WAL checkpointer's thread: its own connection to the ledger, a PASSIVE checkpoint once the writer has been
 * quiet for a round (`intervalMs`), or after `maxDeferMs` of continuous writing. PASSIVE never waits for the
 * writer or readers; it copies what it can and leaves the rest to the next round.
 *
 * Why wait for quiet: copying the WAL back while a flood of output is being committed competes with the writer
 * for the same CPU and files. Measured on 2 cores with 50 MB floods, checkpointing during the flood cost 14 % of
 * the stored throughput and 150 ms of the writer's CPU; after it, the same copy costs the harnesses nothing.
 * `maxDeferMs` bounds the WAL under writing that never stops (it holds at most that much time's commits).
 */
const { path, intervalMs, maxDeferMs } = workerData as {
  path: string;
  intervalMs: number;
  maxDeferMs: number;
};
const db = new Database(path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
db.pragma("wal_autocheckpoint = 0");

/** The last round's (WAL frames, frames copied): an idle WAL answers the same every round, which is no news. */
let last = "";
/** `data_version` changes whenever another connection (the writer) commits. */
let lastVersion = db.pragma("data_version", { simple: true });
const pacing = new CheckpointPacing(intervalMs, maxDeferMs);

function checkpoint(): void {
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number; checkpointed: number }[];
    const now = `${result?.log}/${result?.checkpointed}`;
    if (now === last || !result || result.checkpointed <= 0) return;
    last = now;
    parentPort?.postMessage({ type: "checkpointed", frames: result.checkpointed, walFrames: result.log });
  } catch (error) {
    parentPort?.postMessage({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

function round(): void {
  let writing = false;
  try {
    const version = db.pragma("data_version", { simple: true });
    writing = version !== lastVersion;
    lastVersion = version;
  } catch {
    // Reading the version cannot fail short of a broken connection; checkpoint() then reports the error.
  }
  if (pacing.checkpointNow(writing)) checkpoint();
}

const timer = setInterval(round, intervalMs);
parentPort?.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
parentPort?.postMessage({ type: "ready" });
