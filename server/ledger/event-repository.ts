import type Database from "better-sqlite3";
import type { EventPage } from "../../contract/events.js";
import type { EventRow } from "./records.js";

/** Read side of the append-only event log. Appends happen only in the EventWriter. */
export class EventRepository {
  private readonly pageStmt: Database.Statement<[string, number, number], EventRow>;
  private readonly seqOfIdStmt: Database.Statement<[string], { seq: number; session_id: string }>;
  private readonly pageAllStmt: Database.Statement<[number, number], EventRow>;
  private readonly tailStmt: Database.Statement<[string, number], EventRow>;
  private readonly oldestStmt: Database.Statement<[], { created_at: string }>;

  constructor(db: Database.Database) {
    this.pageStmt = db.prepare(
      "SELECT seq, id, session_id, kind, payload_json, created_at FROM events " +
        "WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    );
    this.seqOfIdStmt = db.prepare("SELECT seq, session_id FROM events WHERE id = ?");
    this.pageAllStmt = db.prepare(
      "SELECT seq, id, session_id, kind, payload_json, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    );
    this.tailStmt = db.prepare(
      "SELECT seq, id, session_id, kind, payload_json, created_at FROM events " +
        "WHERE session_id = ? ORDER BY seq DESC LIMIT ?",
    );
    this.oldestStmt = db.prepare("SELECT created_at FROM events ORDER BY seq LIMIT 1");
  }

  /** One page after `afterSeq`; `hasMore` is true when the limit cut the page. */
  page(sessionId: string, afterSeq: number, limit: number): EventPage {
    const rows = this.pageStmt.all(sessionId, afterSeq, limit + 1);
    const hasMore = rows.length > limit;
    const events = hasMore ? rows.slice(0, limit) : rows;
    const last = events.at(-1);
    return { events, nextCursor: last ? { afterSeq: last.seq } : null, hasMore };
  }

  /** One page of the whole ledger after `afterSeq`, every session interleaved in seq order. */
  pageAll(afterSeq: number, limit: number): EventPage {
    const rows = this.pageAllStmt.all(afterSeq, limit + 1);
    const hasMore = rows.length > limit;
    const events = hasMore ? rows.slice(0, limit) : rows;
    const last = events.at(-1);
    return { events, nextCursor: last ? { afterSeq: last.seq } : null, hasMore };
  }

  findById(eventId: string): { seq: number; sessionId: string } | undefined {
    const row = this.seqOfIdStmt.get(eventId);
    return row ? { seq: row.seq, sessionId: row.session_id } : undefined;
  }

  /** The newest `count` events of a session, oldest first (for log previews). */
  tail(sessionId: string, count: number): EventRow[] {
    return this.tailStmt.all(sessionId, count).reverse();
  }

  oldestCreatedAt(): string | null {
    return this.oldestStmt.get()?.created_at ?? null;
  }
}
