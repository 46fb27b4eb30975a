import fs from "node:fs";
import Database from "better-sqlite3";
import { applyMigrations, LATEST_SCHEMA_VERSION, SchemaTooNewError, schemaVersion } from "./migrations.js";

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

/** What opening did to the schema: `backupPath` names the copy taken before migrating, if one was needed. */
export interface LedgerMigration {
  from: number;
  to: number;
  backupPath: string | null;
}

export interface OpenedLedgerDatabase {
  db: Database.Database;
  migration: LedgerMigration;
}

/** `coven.sqlite3.backup-v1-20261126T100000Z`: beside the ledger, named after the version it holds. */
export function migrationBackupPath(path: string, fromVersion: number, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${path}.backup-v${fromVersion}-${stamp}`;
}

/**
 * Copies the ledger with SQLite's online backup API (consistent, WAL included) into a file created 0600 up
 * front, so the copy of the operator's history is never readable by anyone else, not even for a moment.
 */
async function backupBeforeMigration(
  db: Database.Database,
  path: string,
  fromVersion: number,
): Promise<string> {
  const target = migrationBackupPath(path, fromVersion);
  // `wx`: an existing file of that name is never overwritten.
  fs.closeSync(fs.openSync(target, "wx", 0o600));
  try {
    await db.backup(target);
  } catch (error) {
    fs.rmSync(target, { force: true });
    throw new Error(
      `${path}: the backup before migrating to schema ${LATEST_SCHEMA_VERSION} failed: ${error}`,
    );
  }
  fs.chmodSync(target, 0o600);
  return target;
}

/**
 * Opens the ledger: WAL so readers never block the writer, foreign keys on, a short busy timeout because the
 * event writer does its own bounded, asynchronous retries.
 *
 * Fail closed, in this order, before anything is written: a corrupt or unreadable file (`DatabaseOpenError`)
 * and a schema newer than this build (`SchemaTooNewError`) are refused and left byte for byte as they were.
 * An older schema is first copied beside the file (`<path>.backup-v<N>-<timestamp>`), then migrated.
 */
export async function openLedgerDatabase(path: string): Promise<OpenedLedgerDatabase> {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: false });
  } catch (error) {
    throw new DatabaseOpenError(path, error);
  }
  let from: number;
  try {
    // Reads only: a file that is not a database, or one from a newer build, must not be touched by a pragma.
    from = schemaVersion(db);
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (error) {
    db.close();
    throw new DatabaseOpenError(path, error);
  }
  if (from > LATEST_SCHEMA_VERSION) {
    db.close();
    throw new SchemaTooNewError(path, from);
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = NORMAL");
  } catch (error) {
    db.close();
    throw new DatabaseOpenError(path, error);
  }
  let backupPath: string | null = null;
  try {
    // A fresh file (version 0) has no history to lose; anything older than this build is copied first.
    if (from > 0 && from < LATEST_SCHEMA_VERSION) backupPath = await backupBeforeMigration(db, path, from);
    applyMigrations(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  // Short: a blocking wait would stall the event loop (and PTY reads); the writer retries asynchronously.
  // Only now: while opening and migrating, better-sqlite3's default wait rides out a brief lock held by another
  // process (the CLI's offline maintenance) instead of failing the start.
  db.pragma("busy_timeout = 5");
  for (const suffix of ["", "-wal", "-shm"]) {
    if (fs.existsSync(path + suffix)) fs.chmodSync(path + suffix, 0o600);
  }
  return { db, migration: { from, to: LATEST_SCHEMA_VERSION, backupPath } };
}
