import { spawn } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir, waitFor } from "../../helpers/daemon.js";

/**
 * The built module, so the worker thread runs the compiled `checkpoint-worker.js` beside it exactly as in the
 * daemon (`npm test` builds first).
 */
const { WalCheckpointer } = (await import(
  path.join(REPO_ROOT, "dist/server/ledger/checkpointer.js")
)) as typeof import("../../../server/ledger/checkpointer.js");

function walDatabase(): { db: Database.Database; file: string } {
  const file = path.join(tempDir(), "ledger.sqlite3");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE t (x TEXT)");
  return { db, file };
}

describe("WalCheckpointer", () => {
  it("checkpoints on its thread while the connection's own checkpoints are off, and hands them back on stop", async () => {
    const { db, file } = walDatabase();
    const checkpointer = await WalCheckpointer.start(db, file, { intervalMs: 20 });
    expect(checkpointer.status().mode).toBe("background");
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 200; i += 1) insert.run("x".repeat(1000));
    await waitFor(() => checkpointer.status().completed > 0, "a background checkpoint");
    expect(checkpointer.status().lastAt).not.toBeNull();
    await checkpointer.stop();
    expect(checkpointer.status().mode).toBe("inline");
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    db.close();
  });

  it("falls back to inline checkpoints, saying why, when the thread cannot open the ledger", async () => {
    const { db } = walDatabase();
    const checkpointer = await WalCheckpointer.start(db, path.join(tempDir(), "missing.sqlite3"), {
      intervalMs: 20,
    });
    expect(checkpointer.status().mode).toBe("inline");
    // The driver names the problem (its wording differs between better-sqlite3 12 and 13); under the test runner
    // the thread's error can reach us as its code only.
    expect(checkpointer.status().lastError).toMatch(/directory does not exist|unable to open|^[A-Z_]+$/);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await checkpointer.stop();
    db.close();
  });

  it("waits for the writer to go quiet, and checkpoints anyway once writing has gone on for maxDeferMs", async () => {
    const { db, file } = walDatabase();
    // Another process commits back to back, twice: for 1.2 s under a deferral longer than that, then for 3 s
    // under a deferral of 200 ms (long enough for several forced checkpoints even when the suite's other workers
    // slow the checkpoint thread down). Checkpoints reported between its first commit and its exit are counted.
    // After a deferred run, the checkpoint that follows is awaited; after a bounded one the last forced checkpoint
    // may already have copied everything, leaving nothing new to report.
    async function checkpointsWhileWriting(
      writingMs: number,
      maxDeferMs: number,
      awaitAfter: boolean,
    ): Promise<number> {
      const checkpointer = await WalCheckpointer.start(db, file, { intervalMs: 100, maxDeferMs });
      const writer = spawn(
        process.execPath,
        [
          "-e",
          `const db = new (require("better-sqlite3"))(${JSON.stringify(file)});
           db.pragma("synchronous = NORMAL");
           const insert = db.prepare("INSERT INTO t VALUES (?)");
           insert.run("first");
           process.stdout.write("writing\\n");
           const end = Date.now() + ${writingMs};
           while (Date.now() < end) insert.run("x".repeat(1000));
           db.close();`,
        ],
        { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise((resolve) => writer.once("exit", resolve));
      await new Promise((resolve) => writer.stdout.once("data", resolve));
      const before = checkpointer.status().completed;
      await exited;
      const during = checkpointer.status().completed - before;
      if (awaitAfter) {
        await waitFor(
          () => checkpointer.status().completed > before + during,
          "a checkpoint once the writer is quiet",
        );
      }
      await checkpointer.stop();
      return during;
    }
    // The exact policy is CheckpointPacing's, tested alone; this checks the thread follows it under a real writer.
    // Nominally 0 while deferred (12 rounds) and ~15 while bounded; the bounds are loose because the suite's other
    // workers can deschedule the writer for a round (a "quiet" round) or the thread for several.
    const deferred = await checkpointsWhileWriting(1200, 60_000, true);
    const bounded = await checkpointsWhileWriting(3000, 200, false);
    expect(deferred).toBeLessThanOrEqual(2);
    expect(bounded).toBeGreaterThanOrEqual(2);
    expect(bounded).toBeGreaterThan(deferred);
    db.close();
  });
});
