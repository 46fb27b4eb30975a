import type Database from "better-sqlite3";
import { CovenError } from "../errors.js";
import { type Session, type SessionRow, sessionFromRow, sessionToRow } from "./records.js";

const COLUMNS = [
  "id",
  "project_root",
  "cwd",
  "harness",
  "title",
  "status",
  "exit_code",
  "archived_at",
  "created_at",
  "updated_at",
  "conversation_id",
  "familiar_id",
  "execution_binding",
  "labels",
  "visibility",
  "external",
  "transcript_path",
  "model",
  "launch_mode",
  "pid",
] as const;

/** A sessions row as an array in COLUMNS order (better-sqlite3's `raw` mode). */
type SessionValues = unknown[];

/**
 * Rows are read as arrays and named here: objects of one fixed shape built in JavaScript cost about half of what
 * the driver's own row objects do, which is most of the cost of a page. The names are spelled out (in COLUMNS
 * order) on purpose: an object literal is built ~25× faster than the same object filled in a loop over COLUMNS.
 */
function sessionFromValues(values: SessionValues): Session {
  const [
    id,
    project_root,
    cwd,
    harness,
    title,
    status,
    exit_code,
    archived_at,
    created_at,
    updated_at,
    conversation_id,
    familiar_id,
    execution_binding,
    labels,
    visibility,
    external,
    transcript_path,
    model,
    launch_mode,
    pid,
  ] = values;
  return sessionFromRow({
    id,
    project_root,
    cwd,
    harness,
    title,
    status,
    exit_code,
    archived_at,
    created_at,
    updated_at,
    conversation_id,
    familiar_id,
    execution_binding,
    labels,
    visibility,
    external,
    transcript_path,
    model,
    launch_mode,
    pid,
  } as SessionRow);
}

const SELECT_SESSIONS = `SELECT ${COLUMNS.join(", ")} FROM sessions`;
const UPDATE_SESSION = `UPDATE sessions SET ${COLUMNS.filter((c) => c !== "id")
  .map((c) => `${c} = @${c}`)
  .join(", ")} WHERE id = @id`;

export interface SessionPageQuery {
  limit: number;
  cursor?: string | undefined;
  includeArchived: boolean;
}

/** The page cursor: URL-safe base64 of the last row's sort key, so it is stable while newer rows are inserted. */
export function encodeSessionCursor(session: Pick<Session, "createdAt" | "id">): string {
  return Buffer.from(JSON.stringify([session.createdAt, session.id])).toString("base64url");
}

export function decodeSessionCursor(cursor: string): { createdAt: string; id: string } {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error("not base64url");
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      typeof value[1] === "string"
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the structured error
  }
  throw new CovenError("invalid_request", "The cursor is not one this daemon issued.", { field: "cursor" });
}

/** Reads and writes of the sessions table. Writes are only called from inside the event writer's transactions. */
export class SessionRepository {
  private readonly insertStmt: Database.Statement;
  /** Statements built from a few fixed SQL variants (page filters, the update), prepared once each. */
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO sessions (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`,
    );
  }

  /** `sql` prepared once; `raw` ones return rows as arrays (see sessionFromValues). */
  private statement<Params extends unknown[]>(sql: string, raw = false): Database.Statement<Params> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (raw) statement.raw();
      this.prepared.set(sql, statement);
    }
    return statement as Database.Statement<Params>;
  }

  /** The sessions `SELECT … FROM sessions <rest>` finds, in order. */
  private select<Params extends unknown[]>(rest: string, ...params: Params): Session[] {
    const rows = this.statement<Params>(`${SELECT_SESSIONS} ${rest}`, true).all(...params);
    return (rows as SessionValues[]).map(sessionFromValues);
  }

  find(id: string): Session | undefined {
    return this.select("WHERE id = ?", id)[0];
  }

  get(id: string): Session {
    const session = this.find(id);
    if (!session) throw new CovenError("session_not_found", undefined, { sessionId: id });
    return session;
  }

  insert(session: Session): void {
    this.insertStmt.run(sessionToRow(session));
  }

  /** Updates the named fields (camelCase keys of Session) and `updated_at`. */
  update(id: string, changes: Partial<Omit<Session, "id" | "createdAt">>): Session {
    const current = this.get(id);
    const next: Session = {
      ...current,
      ...changes,
      updatedAt: changes.updatedAt ?? new Date().toISOString(),
    };
    this.statement<[SessionRow]>(UPDATE_SESSION).run(sessionToRow(next));
    return next;
  }

  delete(id: string): void {
    this.statement<[string]>("DELETE FROM sessions WHERE id = ?").run(id);
  }

  /**
   * Sessions whose id starts with `prefix`, by id, at most `limit`. Ids are `[A-Za-z0-9_-]` (validated before
   * they get here), which holds no GLOB metacharacter, so the prefix is matched literally and through the index.
   */
  findByIdPrefix(prefix: string, limit: number): Session[] {
    return this.select("WHERE id GLOB ? ORDER BY id LIMIT ?", `${prefix}*`, limit);
  }

  /** Newest first: created_at desc, then id desc. Returns one extra row to tell whether a next page exists. */
  page(query: SessionPageQuery): { sessions: Session[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit + 1 };
    if (!query.includeArchived) where.push("archived_at IS NULL");
    if (query.cursor !== undefined) {
      const key = decodeSessionCursor(query.cursor);
      where.push("(created_at < @createdAt OR (created_at = @createdAt AND id < @id))");
      params.createdAt = key.createdAt;
      params.id = key.id;
    }
    const found = this.select(
      `${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      params,
    );
    const hasMore = found.length > query.limit;
    const sessions = found.slice(0, query.limit);
    const last = sessions.at(-1);
    return { sessions, nextCursor: hasMore && last ? encodeSessionCursor(last) : null };
  }

  /** Every non-archived session, newest first (the legacy plain-array list). */
  listUnarchived(): Session[] {
    return this.select("WHERE archived_at IS NULL ORDER BY created_at DESC, id DESC");
  }

  withStatus(statuses: readonly string[]): Session[] {
    const marks = statuses.map(() => "?").join(", ");
    return this.select(`WHERE status IN (${marks})`, ...statuses);
  }
}
