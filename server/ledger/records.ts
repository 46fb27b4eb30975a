import type { EventRecord } from "../../contract/events.js";
import type { SessionRecord, SessionStatus } from "../../contract/sessions.js";

/**
 * The one place where the ledger's rows meet the internal (camelCase) model and the wire (snake_case) records.
 * The SQL columns use the wire names, so rows map to wire records field by field.
 */
export interface Session {
  id: string;
  projectRoot: string;
  cwd: string;
  harness: string;
  title: string;
  status: SessionStatus;
  exitCode: number | null;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  conversationId: string | null;
  familiarId: string | null;
  executionBinding: Record<string, unknown> | null;
  labels: string[];
  visibility: string;
  external: boolean;
  transcriptPath: string | null;
  model: string | null;
  launchMode: string | null;
  pid: number | null;
}

export interface SessionRow {
  id: string;
  project_root: string;
  cwd: string;
  harness: string;
  title: string;
  status: string;
  exit_code: number | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
  conversation_id: string | null;
  familiar_id: string | null;
  execution_binding: string | null;
  labels: string;
  visibility: string;
  external: number;
  transcript_path: string | null;
  model: string | null;
  launch_mode: string | null;
  pid: number | null;
}

export function sessionFromRow(row: SessionRow): Session {
  return {
    id: row.id,
    projectRoot: row.project_root,
    cwd: row.cwd,
    harness: row.harness,
    title: row.title,
    status: row.status as SessionStatus,
    exitCode: row.exit_code,
    archivedAt: row.archived_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    conversationId: row.conversation_id,
    familiarId: row.familiar_id,
    executionBinding: row.execution_binding === null ? null : JSON.parse(row.execution_binding),
    labels: JSON.parse(row.labels) as string[],
    visibility: row.visibility,
    external: row.external === 1,
    transcriptPath: row.transcript_path,
    model: row.model,
    launchMode: row.launch_mode,
    pid: row.pid,
  };
}

export function sessionToRow(session: Session): SessionRow {
  return {
    id: session.id,
    project_root: session.projectRoot,
    cwd: session.cwd,
    harness: session.harness,
    title: session.title,
    status: session.status,
    exit_code: session.exitCode,
    archived_at: session.archivedAt,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    conversation_id: session.conversationId,
    familiar_id: session.familiarId,
    execution_binding: session.executionBinding === null ? null : JSON.stringify(session.executionBinding),
    labels: JSON.stringify(session.labels),
    visibility: session.visibility,
    external: session.external ? 1 : 0,
    transcript_path: session.transcriptPath,
    model: session.model,
    launch_mode: session.launchMode,
    pid: session.pid,
  };
}

export function toSessionRecord(session: Session): SessionRecord {
  return {
    id: session.id,
    project_root: session.projectRoot,
    cwd: session.cwd,
    harness: session.harness,
    title: session.title,
    status: session.status,
    exit_code: session.exitCode,
    archived_at: session.archivedAt,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    conversation_id: session.conversationId,
    familiar_id: session.familiarId,
    execution_binding: session.executionBinding,
    labels: session.labels,
    visibility: session.visibility,
    external: session.external,
    transcript_path: session.transcriptPath,
  };
}

/** Event rows already use the wire names and types. */
export type EventRow = EventRecord;

export function nowIso(): string {
  return new Date().toISOString();
}

/** What a new session is made of; every other field starts empty, as in a row the daemon inserts. */
export type NewSessionFields = Pick<
  Session,
  "id" | "projectRoot" | "cwd" | "harness" | "title" | "status" | "launchMode"
> &
  Partial<Session>;

/** A new session row: the given fields over the defaults (created and updated now, private, not external). */
export function freshSession(fields: NewSessionFields): Session {
  const now = nowIso();
  return {
    exitCode: null,
    archivedAt: null,
    createdAt: now,
    updatedAt: now,
    conversationId: null,
    familiarId: null,
    executionBinding: null,
    labels: [],
    visibility: "private",
    external: false,
    transcriptPath: null,
    model: null,
    pid: null,
    ...fields,
  };
}
