import type Database from "better-sqlite3";
import { openLedgerDatabase } from "./database.js";
import { EventRepository } from "./event-repository.js";
import { EventWriter, type EventWriterOptions } from "./event-writer.js";
import { SessionRepository } from "./session-repository.js";

/** The session ledger: one SQLite file, read through repositories, written only through the EventWriter. */
export class Ledger {
  readonly sessions: SessionRepository;
  readonly events: EventRepository;
  readonly writer: EventWriter;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    writerOptions: EventWriterOptions,
  ) {
    this.sessions = new SessionRepository(db);
    this.events = new EventRepository(db);
    this.writer = new EventWriter(db, writerOptions);
  }

  static open(path: string, writerOptions: EventWriterOptions = {}): Ledger {
    return new Ledger(openLedgerDatabase(path), path, writerOptions);
  }

  async close(): Promise<void> {
    await this.writer.close();
    this.db.close();
  }
}
