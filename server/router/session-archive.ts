import { OkAcceptedSchema } from "../../contract/common.js";
import {
  AMBIGUOUS_PREFIX,
  MAX_PREFIX_CANDIDATES,
  SESSION_IS_LIVE,
  SessionIdParamsSchema,
  SessionRecordSchema,
  SessionResolveQuerySchema,
  TERMINAL_STATUSES,
} from "../../contract/sessions.js";
import { CovenError } from "../errors.js";
import { nowIso, type Session, toSessionRecord } from "../ledger/records.js";
import type { RequestContext } from "./trpc.js";
import { procedure } from "./trpc.js";

/**
 * Archive is an overlay (`archived_at`), never a status; sacrifice deletes the row and, by the events table's
 * `ON DELETE CASCADE`, its events. Both refuse a session still running under this daemon — a daemon-managed
 * session is also refused while it is not yet terminal (the launch window, before its PTY is registered).
 * External sessions are not run by this daemon, so only their records are at stake and they are accepted.
 *
 * The refusal is `invalid_request` (400) with `details.reason = "session_is_live"`: `session_not_live` (409)
 * means the opposite (input/kill to a session that is *not* running), so it would mislead a client.
 */
function refuseWhileRunning(ctx: RequestContext, session: Session, verb: string): void {
  const live = ctx.services.runtime.live.get(session.id) !== undefined;
  if (live || (!session.external && !TERMINAL_STATUSES.has(session.status))) {
    throw new CovenError(
      "invalid_request",
      `Session ${session.id} is still running; kill it before you ${verb} it.`,
      { sessionId: session.id, status: session.status, reason: SESSION_IS_LIVE },
    );
  }
}

const archiveErrors = ["session_not_found" as const, "invalid_request" as const];

/** Spread into the sessions router: `sessions.resolve`, `.archive`, `.summon`, `.sacrifice`. */
export const sessionArchiveProcedures = {
  resolve: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/sessions/resolve",
          status: 200,
          operationId: "resolveSession",
          summary:
            "The one session whose id is `prefix` or starts with it (archived included); 404 when none, " +
            "400 invalid_request with details.reason ambiguous_prefix and details.candidates when several",
        },
      ],
      tags: ["sessions"],
      errors: archiveErrors,
    })
    .input(SessionResolveQuerySchema)
    .output(SessionRecordSchema)
    .query(({ ctx, input }) => {
      const { sessions } = ctx.services.ledger;
      // An exact id wins even when it is also the prefix of a longer one.
      const exact = sessions.find(input.prefix);
      if (exact) return toSessionRecord(exact);
      const matches = sessions.findByIdPrefix(input.prefix, MAX_PREFIX_CANDIDATES + 1);
      const [only] = matches;
      if (!only) {
        throw new CovenError(
          "session_not_found",
          `No session id starts with ${JSON.stringify(input.prefix)}.`,
          {
            sessionId: input.prefix,
          },
        );
      }
      if (matches.length > 1) {
        const candidates = matches.slice(0, MAX_PREFIX_CANDIDATES).map((session) => session.id);
        throw new CovenError(
          "invalid_request",
          `${JSON.stringify(input.prefix)} names ${matches.length > MAX_PREFIX_CANDIDATES ? "more than " : ""}` +
            `${candidates.length} sessions; give more of the id.`,
          {
            field: "prefix",
            reason: AMBIGUOUS_PREFIX,
            candidates,
            truncated: matches.length > MAX_PREFIX_CANDIDATES,
          },
        );
      }
      return toSessionRecord(only);
    }),

  archive: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/archive",
          status: 200,
          operationId: "archiveSession",
          summary:
            "Hide a finished session from the default list (sets archived_at; archiving twice keeps the first " +
            "time); a running session is refused with invalid_request, details.reason session_is_live",
        },
      ],
      tags: ["sessions"],
      errors: archiveErrors,
    })
    .input(SessionIdParamsSchema)
    .output(SessionRecordSchema)
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.services.ledger.writer.transact((tx) => {
        const current = tx.sessions.get(input.id);
        if (current.archivedAt !== null) return current;
        refuseWhileRunning(ctx, current, "archive");
        return tx.sessions.update(input.id, { archivedAt: nowIso() });
      });
      return toSessionRecord(session);
    }),

  summon: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/summon",
          status: 200,
          operationId: "summonSession",
          summary: "Bring an archived session back into the default list (clears archived_at; idempotent)",
        },
      ],
      tags: ["sessions"],
      errors: ["session_not_found"],
    })
    .input(SessionIdParamsSchema)
    .output(SessionRecordSchema)
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.services.ledger.writer.transact((tx) => {
        const current = tx.sessions.get(input.id);
        return current.archivedAt === null ? current : tx.sessions.update(input.id, { archivedAt: null });
      });
      return toSessionRecord(session);
    }),

  sacrifice: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/sessions/{id}/sacrifice",
          status: 200,
          operationId: "sacrificeSession",
          summary:
            "Permanently delete a finished session and all its events; a running session is refused with " +
            "invalid_request, details.reason session_is_live",
        },
      ],
      tags: ["sessions"],
      errors: archiveErrors,
    })
    .input(SessionIdParamsSchema)
    .output(OkAcceptedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.ledger.writer.transact((tx) => {
        refuseWhileRunning(ctx, tx.sessions.get(input.id), "sacrifice");
        // The events go with the row (ON DELETE CASCADE); their seqs are never reused (AUTOINCREMENT).
        tx.sessions.delete(input.id);
      });
      return { ok: true as const, accepted: true as const };
    }),
};
