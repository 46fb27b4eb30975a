import type Database from "better-sqlite3";
import { WalCheckpointer } from "./checkpointer.js";
import { DaemonStateRepository } from "./daemon-state.js";
import { type LedgerMigration, openLedgerDatabase } from "./database.js";
import { EventRepository } from "./event-repository.js";
import { EventWriter, type EventWriterOptions } from "./event-writer.js";
import { SessionRepository } from "./session-repository.js";

/** The session ledger: one SQLite file, read through repositories, written only through the EventWriter. */
export class Ledger {
  readonly sessions: SessionRepository;
  readonly events: EventRepository;
  readonly writer: EventWriter;
  readonly state: DaemonStateRepository;
  /** Set when the ledger was opened with background checkpoints (the daemon's). */
  checkpointer: WalCheckpointer | undefined;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    writerOptions: EventWriterOptions,
    /** What opening did to the schema (and where the pre-migration backup is). */
    readonly migration: LedgerMigration,
  ) {
    this.sessions = new SessionRepository(db);
    this.state = new DaemonStateRepository(db);
    this.events = new EventRepository(db);
    this.writer = new EventWriter(db, writerOptions);
  }

  /**
   * Opens (creating or migrating) the ledger; see `openLedgerDatabase` for what is refused. A long-running
   * writer (the daemon) asks for `backgroundCheckpoints`; short-lived tools let SQLite checkpoint inline.
   */
  static async open(
    path: string,
    writerOptions: EventWriterOptions = {},
    options: { backgroundCheckpoints?: boolean } = {},
  ): Promise<Ledger> {
    const { db, migration } = await openLedgerDatabase(path);
    const ledger = new Ledger(db, path, writerOptions, migration);
    if (options.backgroundCheckpoints) ledger.checkpointer = await WalCheckpointer.start(db, path);
    return ledger;
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.checkpointer?.stop();
    this.db.close();
  }
}
