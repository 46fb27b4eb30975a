import { z } from "zod";
import { IdSchema, Timestamp } from "./common.js";

export const SESSION_STATUSES = [
  "created",
  "running",
  "idle",
  "completed",
  "failed",
  "killed",
  "orphaned",
] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUSES).meta({ id: "SessionStatus" });
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** Statuses after which a session never changes again (archive is an overlay, not a status). */
export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set([
  "completed",
  "failed",
  "killed",
  "orphaned",
]);

export const SessionRecordSchema = z
  .object({
    id: z.string(),
    project_root: z.string(),
    cwd: z.string(),
    harness: z.string(),
    title: z.string(),
    status: SessionStatusSchema,
    exit_code: z.number().int().nullable(),
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    conversation_id: z.string().nullable(),
    familiar_id: z.string().nullable(),
    execution_binding: z.record(z.string(), z.unknown()).nullable(),
    labels: z.array(z.string()),
    visibility: z.string(),
    external: z.boolean(),
    transcript_path: z.string().nullable(),
  })
  .meta({ id: "SessionRecord", description: "A session as stored in the ledger (snake_case on the wire)." });
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

const MAX_PAGE = 1000;
export const SessionListQuerySchema = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE)
      .optional()
      .meta({ description: "page size, 1-1000 (default 100)" }),
    cursor: z.string().max(512).optional().meta({ description: "opaque cursor from next_cursor" }),
    includeArchived: z.boolean().optional(),
  })
  .meta({ description: "Without any of these, the answer is a plain array of non-archived sessions." });

export const SessionPageSchema = z
  .object({ sessions: z.array(SessionRecordSchema), next_cursor: z.string().nullable() })
  .meta({ id: "SessionPage" });

export const SessionListSchema = z
  .union([z.array(SessionRecordSchema), SessionPageSchema])
  .meta({ id: "SessionList", description: "Plain array without paging query; page envelope with one." });

export const SessionIdParamsSchema = z.strictObject({ id: IdSchema });

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes("\0"), "must not contain NUL bytes");

export const LAUNCH_MODES = ["interactive", "nonInteractive"] as const;

/** A terminal's width or height in character cells, for launch and resize alike. */
const terminalCells = z.number().int().min(1).max(1000);
export const DEFAULT_TERMINAL_COLS = 120;
export const DEFAULT_TERMINAL_ROWS = 32;

export const LaunchSessionRequestSchema = z
  .strictObject({
    projectRoot: absolutePath,
    cwd: absolutePath.optional(),
    harness: z.string().min(1).max(64),
    prompt: z.string().max(256 * 1024),
    title: z.string().max(512).optional(),
    model: z.string().max(256).optional(),
    launchMode: z.enum(LAUNCH_MODES).optional(),
    conversationId: z.string().max(256).optional(),
    cols: terminalCells
      .optional()
      .meta({ description: `the PTY's width at spawn (default ${DEFAULT_TERMINAL_COLS})` }),
    rows: terminalCells
      .optional()
      .meta({ description: `the PTY's height at spawn (default ${DEFAULT_TERMINAL_ROWS})` }),
  })
  .meta({ id: "LaunchSessionRequest" });

export const SendInputRequestSchema = z
  .strictObject({ data: z.string().max(256 * 1024) })
  .meta({ id: "SendInputRequest" });

export const ResizeRequestSchema = z
  .strictObject({ cols: terminalCells, rows: terminalCells })
  .meta({ id: "ResizeRequest" });

export const RegisterExternalRequestSchema = z
  .strictObject({
    id: IdSchema,
    projectRoot: absolutePath,
    harness: z.string().min(1).max(64),
    title: z.string().max(512).optional(),
    transcriptPath: absolutePath.optional(),
  })
  .meta({ id: "RegisterExternalSessionRequest" });

export const CompleteSessionRequestSchema = z
  .strictObject({ exitCode: z.number().int().nullable().optional() })
  .meta({ id: "CompleteSessionRequest", description: "absent/null/0 → completed, anything else → failed" });

export const LogLineSchema = z
  .object({ ts: Timestamp, level: z.enum(["info", "warn", "error"]), message: z.string() })
  .meta({ id: "LogLine" });
export const LogPreviewSchema = z.array(LogLineSchema).meta({ id: "LogPreview" });

export type LaunchSessionRequest = z.infer<typeof LaunchSessionRequestSchema>;
export type LogLine = z.infer<typeof LogLineSchema>;

/** `GET /sessions/resolve`: a full id, or a prefix naming exactly one session (archived ones included). */
export const SessionResolveQuerySchema = z.strictObject({
  prefix: IdSchema.meta({ description: "a session id, or a prefix of exactly one session's id" }),
});

/**
 * `details.reason` of the `invalid_request` refusals of the archive routes, so clients can branch on them:
 * archive and sacrifice refuse a session still running under this daemon; resolve refuses an ambiguous prefix.
 */
export const SESSION_IS_LIVE = "session_is_live" as const;
export const AMBIGUOUS_PREFIX = "ambiguous_prefix" as const;
/** How many candidate ids an ambiguous prefix answer lists at most. */
export const MAX_PREFIX_CANDIDATES = 10;
