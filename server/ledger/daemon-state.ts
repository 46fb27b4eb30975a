import type Database from "better-sqlite3";

/** Keys of `daemon_state` (migration 2). */
export const LAST_PRUNE_AT = "last_prune_at";

/**
 * Small durable facts about the daemon itself (when it last pruned), one text value per key. Reads are free;
 * `set` is only called from inside the event writer's transactions, like every other write.
 */
export class DaemonStateRepository {
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare("SELECT value FROM daemon_state WHERE key = ?");
    this.setStmt = db.prepare(
      "INSERT INTO daemon_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
  }

  get(key: string): string | null {
    return this.getStmt.get(key)?.value ?? null;
  }

  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }
}
