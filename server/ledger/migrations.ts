import type Database from "better-sqlite3";

/**
 * Numbered schema migrations. Migration N brings `user_version` from N-1 to N; each runs in one transaction.
 * Never edit a shipped migration: add a new one, and a fixture database made by the old ones for the tests.
 */
export const MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: "sessions ledger and append-only events",
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY NOT NULL,
        project_root TEXT NOT NULL,
        cwd TEXT NOT NULL,
        harness TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        exit_code INTEGER,
        archived_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        conversation_id TEXT,
        familiar_id TEXT,
        execution_binding TEXT,
        labels TEXT NOT NULL DEFAULT '[]',
        visibility TEXT NOT NULL DEFAULT 'private',
        external INTEGER NOT NULL DEFAULT 0,
        transcript_path TEXT,
        model TEXT,
        launch_mode TEXT,
        pid INTEGER
      ) STRICT;
      -- Newest-first listing, with and without archived rows.
      CREATE INDEX sessions_by_created ON sessions (created_at DESC, id DESC);
      CREATE INDEX sessions_unarchived_by_created ON sessions (created_at DESC, id DESC) WHERE archived_at IS NULL;
      CREATE INDEX sessions_by_status ON sessions (status);

      -- AUTOINCREMENT: seq is never reused, not even after the newest row is deleted.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_by_session ON events (session_id, seq);
      CREATE INDEX events_by_created ON events (created_at);
    `,
  },
  {
    version: 2,
    description: "daemon_state: small durable facts of the daemon itself (last_prune_at)",
    sql: `
      CREATE TABLE daemon_state (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaTooNewError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `${path}: database schema version ${found} is newer than this build supports (${LATEST_SCHEMA_VERSION}). ` +
        "Upgrade coven; the database was left untouched.",
    );
    this.name = "SchemaTooNewError";
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Applies every pending migration, each in its own transaction together with its `user_version` bump. */
export function applyMigrations(db: Database.Database, path: string): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(path, from);
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return { from, to: LATEST_SCHEMA_VERSION };
}
