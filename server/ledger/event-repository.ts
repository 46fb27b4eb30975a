import type Database from "better-sqlite3";
import type { EventPage } from "../../contract/events.js";
import type { EventRow } from "./records.js";

/** Payload bytes after which an event page is cut (the page still holds at least one event). */
export const MAX_PAGE_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** The event columns, in the order of `eventFromValues`. */
const EVENT_COLUMNS = "seq, id, session_id, kind, payload_json, created_at";
type EventValues = [number, string, string, string, string, string];
/**
 * A session's pages leave `session_id` out: the caller named it, and 1,000 copies of it read back cost about a
 * tenth of the page's query.
 */
const SESSION_EVENT_COLUMNS = "seq, id, kind, payload_json, created_at";
type SessionEventValues = [number, string, string, string, string];

/**
 * Rows are read as arrays (better-sqlite3's `raw` mode) and made into records here: building objects of one
 * fixed shape in JavaScript costs about half of what letting the driver build them does, and a page of 1,000
 * events is mostly that cost.
 */
function eventFromValues([seq, id, session_id, kind, payload_json, created_at]: EventValues): EventRow {
  return { seq, id, session_id, kind, payload_json, created_at };
}

/** The same record shape, for rows of one session read without their `session_id`. */
function sessionEventMapper(session_id: string) {
  return ([seq, id, kind, payload_json, created_at]: SessionEventValues): EventRow => ({
    seq,
    id,
    session_id,
    kind,
    payload_json,
    created_at,
  });
}

/** Rows read by the first query of a page: few enough that even large events stay a few MiB in memory. */
const FIRST_CHUNK_ROWS = 256;

/**
 * Reads a page in a few `fetch(afterSeq, rows)` queries rather than one cursor stepped row by row (each step
 * crosses into the driver; a page read that way cost a quarter more). The first query reads FIRST_CHUNK_ROWS;
 * the next ones as many as the byte budget leaves room for at the size seen so far, so a page of small events
 * takes two queries and one of large events never loads much past the budget. Stops at `limit` events (having
 * looked one further to fill `hasMore`) or at MAX_PAGE_PAYLOAD_BYTES of payload.
 */
function readPage<Values extends EventValues | SessionEventValues>(
  fetch: (afterSeq: number, rows: number) => Values[],
  toEvent: (values: Values) => EventRow,
  afterSeq: number,
  limit: number,
): EventPage {
  const events: EventRow[] = [];
  let bytes = 0;
  let cursor = afterSeq;
  let rowsWanted = Math.min(limit + 1, FIRST_CHUNK_ROWS);
  let hasMore = false;
  reading: for (;;) {
    const rows = fetch(cursor, rowsWanted);
    for (const values of rows) {
      const event = toEvent(values);
      const payloadLength = event.payload_json.length;
      if (events.length === limit || (events.length > 0 && bytes + payloadLength > MAX_PAGE_PAYLOAD_BYTES)) {
        hasMore = true;
        break reading;
      }
      events.push(event);
      bytes += payloadLength;
    }
    if (rows.length < rowsWanted) break; // the log ends here
    cursor = (rows.at(-1) as Values)[0];
    const averageBytes = Math.max(1, bytes / events.length);
    const roomFor = Math.floor((MAX_PAGE_PAYLOAD_BYTES - bytes) / averageBytes) + 1;
    rowsWanted = Math.max(1, Math.min(limit + 1 - events.length, roomFor));
  }
  const last = events.at(-1);
  return { events, nextCursor: last ? { afterSeq: last.seq } : null, hasMore };
}

/** Read side of the append-only event log. Appends happen only in the EventWriter. */
export class EventRepository {
  private readonly pageStmt: Database.Statement<[string, number, number], SessionEventValues>;
  private readonly seqOfIdStmt: Database.Statement<[string], { seq: number; session_id: string }>;
  private readonly pageAllStmt: Database.Statement<[number, number], EventValues>;
  private readonly tailStmt: Database.Statement<[string, number], EventValues>;
  private readonly oldestStmt: Database.Statement<[], { created_at: string }>;

  constructor(db: Database.Database) {
    this.pageStmt = db
      .prepare<[string, number, number], SessionEventValues>(
        `SELECT ${SESSION_EVENT_COLUMNS} FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .raw();
    this.seqOfIdStmt = db.prepare("SELECT seq, session_id FROM events WHERE id = ?");
    this.pageAllStmt = db
      .prepare<[number, number], EventValues>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
      )
      .raw();
    this.tailStmt = db
      .prepare<[string, number], EventValues>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY seq DESC LIMIT ?`,
      )
      .raw();
    this.oldestStmt = db.prepare("SELECT created_at FROM events ORDER BY seq LIMIT 1");
  }

  /**
   * One page after `afterSeq`. The page ends at `limit` events or once it holds MAX_PAGE_PAYLOAD_BYTES of
   * payload, whichever comes first (a page of 1,000 coalesced output events would otherwise be tens of MiB);
   * `hasMore` says a page was cut either way, and `nextCursor` continues it.
   */
  page(sessionId: string, afterSeq: number, limit: number): EventPage {
    return readPage(
      (after, rows) => this.pageStmt.all(sessionId, after, rows),
      sessionEventMapper(sessionId),
      afterSeq,
      limit,
    );
  }

  /** One page of the whole ledger after `afterSeq`, every session interleaved in seq order. */
  pageAll(afterSeq: number, limit: number): EventPage {
    return readPage((after, rows) => this.pageAllStmt.all(after, rows), eventFromValues, afterSeq, limit);
  }

  findById(eventId: string): { seq: number; sessionId: string } | undefined {
    const row = this.seqOfIdStmt.get(eventId);
    return row ? { seq: row.seq, sessionId: row.session_id } : undefined;
  }

  /** The newest `count` events of a session, oldest first (for log previews). */
  tail(sessionId: string, count: number): EventRow[] {
    return this.tailStmt.all(sessionId, count).reverse().map(eventFromValues);
  }

  oldestCreatedAt(): string | null {
    return this.oldestStmt.get()?.created_at ?? null;
  }
}
