import { tracked } from "@trpc/server";
import {
  EventPageSchema,
  EventQuerySchema,
  EventStreamQuerySchema,
  MAX_EVENT_PAGE,
} from "../../contract/events.js";
import { CovenError } from "../errors.js";
import { procedure, router } from "./trpc.js";

export const eventsRouter = router({
  list: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/events",
          status: 200,
          operationId: "listEvents",
          summary: "A page of one session's events after a seq cursor",
        },
        {
          method: "GET",
          path: "/sessions/{sessionId}/events",
          status: 200,
          operationId: "listSessionEvents",
          summary: "Session-scoped alias of GET /events",
        },
      ],
      tags: ["events"],
      errors: ["invalid_request", "session_not_found"],
    })
    .input(EventQuerySchema)
    .output(EventPageSchema)
    .query(({ ctx, input }) => {
      const { sessions, events } = ctx.services.ledger;
      let afterSeq = input.afterSeq ?? 0;
      if (input.afterEventId !== undefined) {
        sessions.get(input.sessionId); // an unknown session is a 404 before the anchor is judged
        const anchor = events.findById(input.afterEventId);
        if (!anchor || anchor.sessionId !== input.sessionId) {
          throw new CovenError("invalid_request", "afterEventId is not an event of this session.", {
            field: "afterEventId",
          });
        }
        if (input.afterSeq !== undefined && input.afterSeq !== anchor.seq) {
          throw new CovenError("invalid_request", "afterSeq and afterEventId name different positions.", {
            fields: ["afterSeq", "afterEventId"],
          });
        }
        afterSeq = anchor.seq;
      }
      const page = events.page(input.sessionId, afterSeq, input.limit ?? MAX_EVENT_PAGE);
      // Events exist only for existing sessions (a foreign key with cascade), so only an empty page needs the
      // session looked up, to tell an unknown session (404) from a quiet one.
      if (page.events.length === 0) sessions.get(input.sessionId);
      return page;
    }),

  stream: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/events/stream",
          status: 200,
          operationId: "streamEvents",
          summary:
            "Server-sent events of one session (sessionId) or of the whole ledger: each message's data is an " +
            "EventRecord and its id the seq. Replays after afterSeq (or Last-Event-ID), then pushes events as " +
            "they commit; a session's stream ends after its exit event.",
        },
        {
          method: "GET",
          path: "/sessions/{sessionId}/events/stream",
          status: 200,
          operationId: "streamSessionEvents",
          summary: "Session-scoped alias of GET /events/stream",
        },
      ],
      tags: ["events"],
      errors: ["invalid_request", "session_not_found"],
      eventStream: true,
    })
    .input(EventStreamQuerySchema)
    .subscription(async ({ ctx, input, signal }) => {
      const { ledger, eventFeed } = ctx.services;
      // Checked before the stream starts, so an unknown session is a plain 404, not an empty stream.
      if (input.sessionId !== undefined) ledger.sessions.get(input.sessionId);
      const afterSeq = input.lastEventId !== undefined ? Number(input.lastEventId) : (input.afterSeq ?? 0);
      return (async function* () {
        for await (const event of eventFeed.follow(input.sessionId, afterSeq, signal)) {
          yield tracked(String(event.seq), event);
        }
      })();
    }),
});
