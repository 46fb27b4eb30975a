import { z } from "zod";
import { IdSchema, Timestamp } from "./common.js";

export const EVENT_KINDS = [
  "launch",
  "output",
  "input",
  "kill",
  "exit",
  "output_truncated",
  "recovery",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Kinds that are never dropped under back-pressure; only `output` is lossy. */
export const LIFECYCLE_KINDS: ReadonlySet<string> = new Set(["launch", "input", "kill", "exit", "recovery"]);

export const EventRecordSchema = z
  .object({
    seq: z.number().int().min(1),
    id: z.string(),
    session_id: z.string(),
    kind: z.string().meta({ description: EVENT_KINDS.join(", ") }),
    payload_json: z.string().meta({ description: "JSON text, redacted before it was stored" }),
    created_at: Timestamp,
  })
  .meta({ id: "EventRecord" });
export type EventRecord = z.infer<typeof EventRecordSchema>;

export const EventPageSchema = z
  .object({
    events: z.array(EventRecordSchema),
    nextCursor: z.object({ afterSeq: z.number().int() }).nullable(),
    hasMore: z.boolean(),
  })
  .meta({ id: "EventPage" });
export type EventPage = z.infer<typeof EventPageSchema>;

export const MAX_EVENT_PAGE = 1000;

const cursorFields = {
  afterSeq: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: "return events with seq greater than this" }),
  afterEventId: IdSchema.optional().meta({ description: "return events after the event with this id" }),
  limit: z.number().int().min(1).max(MAX_EVENT_PAGE).optional().meta({
    description: "1-1000 (default 1000); a page also ends once it holds 4 MiB of payload (hasMore)",
  }),
};

export const EventQuerySchema = z.strictObject({ sessionId: IdSchema, ...cursorFields });
export type EventQuery = z.infer<typeof EventQuerySchema>;

export const EventStreamQuerySchema = z.strictObject({
  sessionId: IdSchema.optional().meta({ description: "one session; without it, every session's events" }),
  afterSeq: cursorFields.afterSeq,
  lastEventId: z
    .string()
    .regex(/^\d{1,15}$/, "must be a seq")
    .optional()
    .meta({ description: "resume after this seq (sent by EventSource clients as the Last-Event-ID header)" }),
});
