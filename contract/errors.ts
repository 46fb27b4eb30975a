import { z } from "zod";

/**
 * Every error code of `coven.daemon.v1` and the HTTP status it travels with.
 * Clients branch on the code; the status is derived from this table everywhere.
 */
export const ERROR_STATUS = {
  not_found: 404,
  invalid_request: 400,
  payload_too_large: 413,
  forbidden: 403,
  session_not_found: 404,
  harness_not_found: 404,
  session_not_live: 409,
  session_id_conflict: 409,
  not_external_session: 422,
  external_session_not_killable: 422,
  launch_failed: 500,
  send_input_failed: 500,
  kill_failed: 500,
  runtime_unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export const ErrorCodeSchema = z.enum(ERROR_CODES).meta({ id: "ErrorCode" });

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "ErrorEnvelope", description: "The body of every failure, on every route." });

export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** Human messages used when a caller gives none; clients must never branch on these. */
export const DEFAULT_ERROR_MESSAGE: Record<ErrorCode, string> = {
  not_found: "No such route.",
  invalid_request: "The request is invalid.",
  payload_too_large: "The request body is larger than the daemon accepts.",
  forbidden: "This request is not allowed here.",
  session_not_found: "Session was not found.",
  harness_not_found: "Harness was not found.",
  session_not_live: "Session is not live.",
  session_id_conflict: "The session id belongs to a daemon-managed session.",
  not_external_session: "The session is managed by the daemon, not external.",
  external_session_not_killable: "External sessions cannot be killed by the daemon.",
  launch_failed: "The harness could not be started.",
  send_input_failed: "Writing to the session's terminal failed.",
  kill_failed: "Signalling the session's process failed.",
  runtime_unavailable: "The session runtime is not available.",
  internal_error: "Internal error.",
};
