import fs from "node:fs";
import Database from "better-sqlite3";
import { applyMigrations } from "./migrations.js";

export class DatabaseOpenError extends Error {
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `${path}: the session ledger could not be opened (${reason}). It was not modified. ` +
        "Move it aside (or restore a backup) and start the daemon again.",
    );
    this.name = "DatabaseOpenError";
  }
}

/**
 * Opens the ledger: WAL so readers never block the writer, foreign keys on, a short busy timeout because the
 * event writer does its own bounded, asynchronous retries. A corrupt file fails closed: it is never overwritten.
 */
export function openLedgerDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: false });
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = NORMAL");
    // Short: a blocking wait would stall the event loop (and PTY reads); the writer retries asynchronously.
    db.pragma("busy_timeout = 5");
    // Touch the schema so a corrupt file is detected here, not on the first request.
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (error) {
    throw new DatabaseOpenError(path, error);
  }
  try {
    applyMigrations(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  for (const suffix of ["", "-wal", "-shm"]) {
    if (fs.existsSync(path + suffix)) fs.chmodSync(path + suffix, 0o600);
  }
  return db;
}
