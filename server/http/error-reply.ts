import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { CovenError, toCovenError } from "../errors.js";

/** Fastify's own failures (body parsing, limits) translated to contract codes. */
function fromFastifyError(error: FastifyError): CovenError | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new CovenError("payload_too_large", undefined, { limitBytes: MAX_BODY_BYTES });
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new CovenError("invalid_request", "The request body is not valid JSON.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new CovenError(
        "invalid_request",
        "The request body must be JSON (content-type: application/json).",
      );
    default:
      if (error instanceof SyntaxError)
        return new CovenError("invalid_request", "The request body is not valid JSON.");
      return undefined;
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;

/** The one place a failure becomes a REST response: the envelope, the contract's status, no stack trace. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const coven = fromFastifyError(error as FastifyError) ?? toCovenError(error);
  if (coven.code === "internal_error") request.log.error({ err: error }, "unexpected error");
  reply
    .code(coven.status)
    .type("application/json")
    .header("x-coven-error-code", coven.code)
    .send(coven.toEnvelope());
}
