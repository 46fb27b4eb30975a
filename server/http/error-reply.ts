import type { Duplex } from "node:stream";
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
    // The router's own refusals: a malformed percent-escape in the path, a path segment over maxParamLength.
    case "FST_ERR_BAD_URL":
      return new CovenError("invalid_request", "The URL is not valid (malformed percent-encoding).");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new CovenError("invalid_request", "A path segment is longer than the daemon accepts.");
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
  const code = (error as FastifyError | null)?.code;
  // No route matched, but the body was parsed (and refused) on the way to the not-found handler: the answer
  // is still that there is no such route.
  const coven =
    request.is404 && typeof code === "string" && code.startsWith("FST_ERR_CTP_")
      ? new CovenError("not_found", `No route ${request.method} ${request.url.split("?")[0]}.`)
      : (fromFastifyError(error as FastifyError) ?? toCovenError(error));
  if (coven.code === "internal_error") request.log.error({ err: error }, "unexpected error");
  reply
    .code(coven.status)
    .type("application/json")
    .header("x-coven-error-code", coven.code)
    .send(coven.toEnvelope());
}

/**
 * Requests Node's HTTP parser refuses before fastify sees them (headers or URL over its 16 KiB limit, a malformed
 * request line) get the envelope too: 400 `invalid_request`, then the connection is closed, as Node itself does.
 * Nothing is written over a response already under way on that connection.
 */
export function replyToClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const coven =
      error.code === "HPE_HEADER_OVERFLOW"
        ? new CovenError("invalid_request", "The request's headers are larger than the daemon accepts.", {
            reason: "header_overflow",
          })
        : new CovenError("invalid_request", "The request is not valid HTTP.");
    const body = JSON.stringify(coven.toEnvelope());
    socket.write(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-coven-error-code: ${coven.code}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
