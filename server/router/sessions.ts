import { OkAcceptedSchema } from "../../contract/common.js";
import {
  CompleteSessionRequestSchema,
  LaunchSessionRequestSchema,
  LogPreviewSchema,
  RegisterExternalRequestSchema,
  ResizeRequestSchema,
  SendInputRequestSchema,
  SessionIdParamsSchema,
  SessionListQuerySchema,
  SessionListSchema,
  SessionRecordSchema,
  TERMINAL_STATUSES,
} from "../../contract/sessions.js";
import { CovenError } from "../errors.js";
import { buildLogPreview, LOG_PREVIEW_EVENTS } from "../ledger/log-preview.js";
import { freshSession, toSessionRecord } from "../ledger/records.js";
import { sessionArchiveProcedures } from "./session-archive.js";
import { procedure, router } from "./trpc.js";

const DEFAULT_PAGE = 100;
const sessionErrors = ["session_not_found" as const];

export const sessionsRouter = router({
  list: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/sessions",
          status: 200,
          operationId: "listSessions",
          summary: "List sessions",
        },
      ],
      tags: ["sessions"],
      errors: ["invalid_request"],
    })
    .input(SessionListQuerySchema.optional())
    .output(SessionListSchema)
    .query(({ ctx, input = {} }) => {
      const { sessions } = ctx.services.ledger;
      const paged =
        input.limit !== undefined || input.cursor !== undefined || input.includeArchived !== undefined;
      if (!paged) return sessions.listUnarchived().map(toSessionRecord);
      const page = sessions.page({
        limit: input.limit ?? DEFAULT_PAGE,
        cursor: input.cursor,
        includeArchived: input.includeArchived ?? false,
      });
      return { sessions: page.sessions.map(toSessionRecord), next_cursor: page.nextCursor };
    }),

  launch: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions",
          status: 201,
          operationId: "launchSession",
          summary:
            "Launch a harness in a PTY (policy first: canonical root, cwd inside it, known harness on PATH)",
        },
      ],
      tags: ["sessions"],
      errors: ["invalid_request", "launch_failed", "runtime_unavailable"],
    })
    .input(LaunchSessionRequestSchema)
    .output(SessionRecordSchema)
    .mutation(({ ctx, input }) => ctx.services.runtime.launch(input)),

  input: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/input",
          status: 202,
          operationId: "sendSessionInput",
          summary: "Write data to a live session's terminal",
          description:
            "The data is written to the PTY before the 202. It is recorded, redacted, in `input` events as its " +
            "words complete: text up to a space, Enter or another control character at once; an unfinished last " +
            "word once input has been quiet briefly (up to 1 s when it could begin a secret), or before the " +
            "session's `kill` or `exit` event. A secret typed one keystroke per request is so recorded as one " +
            "redaction marker.",
        },
      ],
      tags: ["sessions"],
      errors: [...sessionErrors, "session_not_live", "send_input_failed"],
    })
    .input(SessionIdParamsSchema.extend(SendInputRequestSchema.shape))
    .output(OkAcceptedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.runtime.input(input.id, input.data);
      return { ok: true as const, accepted: true as const };
    }),

  kill: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/kill",
          status: 200,
          operationId: "killSession",
          summary:
            "SIGTERM the harness's process group, SIGKILL after a grace period; the session ends killed",
        },
      ],
      tags: ["sessions"],
      errors: [...sessionErrors, "session_not_live", "external_session_not_killable", "kill_failed"],
    })
    .input(SessionIdParamsSchema)
    .output(OkAcceptedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.runtime.kill(input.id);
      return { ok: true as const, accepted: true as const };
    }),

  resize: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/resize",
          status: 200,
          operationId: "resizeSession",
          summary: "Resize a live session's terminal (cols, rows)",
        },
      ],
      tags: ["sessions"],
      errors: [...sessionErrors, "session_not_live"],
    })
    .input(SessionIdParamsSchema.extend(ResizeRequestSchema.shape))
    .output(OkAcceptedSchema)
    .mutation(({ ctx, input }) => {
      ctx.services.runtime.resize(input.id, input.cols, input.rows);
      return { ok: true as const, accepted: true as const };
    }),

  get: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/sessions/{id}",
          status: 200,
          operationId: "getSession",
          summary: "One session",
        },
      ],
      tags: ["sessions"],
      errors: sessionErrors,
    })
    .input(SessionIdParamsSchema)
    .output(SessionRecordSchema)
    .query(({ ctx, input }) => toSessionRecord(ctx.services.ledger.sessions.get(input.id))),

  registerExternal: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/external",
          status: 201,
          otherStatuses: [200],
          operationId: "registerExternalSession",
          summary: "Register a session run outside the daemon (201 new, 200 already registered)",
        },
      ],
      tags: ["sessions"],
      errors: ["session_id_conflict"],
    })
    .input(RegisterExternalRequestSchema)
    .output(SessionRecordSchema)
    .mutation(async ({ ctx, input }) => {
      const { redactor } = ctx.services;
      // Identifiers cannot be redacted without becoming other identifiers: a secret-shaped one is refused.
      for (const field of ["id", "harness"] as const) {
        if (redactor.redact(input[field]) !== input[field]) {
          throw new CovenError("invalid_request", `The ${field} looks like a secret; it is not stored.`, {
            field,
            reason: "secret_shaped",
          });
        }
      }
      const result = await ctx.services.ledger.writer.transact((tx) => {
        const existing = tx.sessions.find(input.id);
        if (existing) {
          if (!existing.external)
            throw new CovenError("session_id_conflict", undefined, { sessionId: input.id });
          return { session: existing, created: false };
        }
        // The caller's account of a session run elsewhere: its free text is redacted like anything stored.
        const projectRoot = redactor.redact(input.projectRoot);
        const session = freshSession({
          id: input.id,
          projectRoot,
          cwd: projectRoot,
          harness: input.harness,
          title: redactor.redact(input.title ?? ""),
          status: "running",
          launchMode: null,
          external: true,
          transcriptPath: input.transcriptPath !== undefined ? redactor.redact(input.transcriptPath) : null,
        });
        tx.sessions.insert(session);
        return { session, created: true };
      });
      if (!result.created) ctx.setStatus(200);
      return toSessionRecord(result.session);
    }),

  complete: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/complete",
          status: 200,
          operationId: "completeExternalSession",
          summary: "Record the end of an external session (absent/null/0 exit code → completed, else failed)",
        },
      ],
      tags: ["sessions"],
      errors: [...sessionErrors, "not_external_session"],
    })
    .input(SessionIdParamsSchema.extend(CompleteSessionRequestSchema.shape))
    .output(SessionRecordSchema)
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.services.ledger.writer.transact((tx) => {
        const current = tx.sessions.get(input.id);
        if (!current.external)
          throw new CovenError("not_external_session", undefined, { sessionId: input.id });
        // Completing twice is idempotent: the first completion is the record.
        if (TERMINAL_STATUSES.has(current.status)) return current;
        const exitCode = input.exitCode ?? null;
        const status = exitCode === null || exitCode === 0 ? "completed" : "failed";
        const updated = tx.sessions.update(input.id, { status, exitCode });
        tx.appendEvent(input.id, "exit", { status, exitCode });
        return updated;
      }, input.id);
      return toSessionRecord(session);
    }),

  log: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/sessions/{id}/log",
          status: 200,
          operationId: "getSessionLog",
          summary: "Redacted, ANSI-free log preview of the session's recent events",
        },
      ],
      tags: ["sessions"],
      errors: sessionErrors,
    })
    .input(SessionIdParamsSchema)
    .output(LogPreviewSchema)
    .query(({ ctx, input }) => {
      const { ledger, redactor } = ctx.services;
      ledger.sessions.get(input.id);
      return buildLogPreview(ledger.events.tail(input.id, LOG_PREVIEW_EVENTS), redactor);
    }),

  ...sessionArchiveProcedures,
});
