import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/**
 * The WAL checkpointer's thread: its own connection to the ledger, a PASSIVE checkpoint every `intervalMs`.
 * PASSIVE never waits for the writer or readers; it copies what it can and leaves the rest to the next round.
 */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
db.pragma("wal_autocheckpoint = 0");

/** The last round's (WAL frames, frames copied): an idle WAL answers the same every round, which is no news. */
let last = "";

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

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
parentPort?.postMessage({ type: "ready" });
