import { randomUUID } from "node:crypto";
import { CovenError } from "../errors.js";

/** URL-safe session ids: letters, digits, `_` and `-`, 1 to 128 characters. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function isValidSessionId(id: unknown): id is string {
  return typeof id === "string" && SESSION_ID_PATTERN.test(id);
}

/** A fresh unguessable session id (a random v4 UUID, which is URL-safe). */
export function newSessionId(): string {
  return randomUUID();
}

/** Throws `invalid_request` with `details = { field }` unless `id` is a valid session id. */
export function assertSessionId(id: unknown, field = "id"): asserts id is string {
  if (!isValidSessionId(id)) {
    throw new CovenError(
      "invalid_request",
      `${field} must be 1-128 characters of letters, digits, '_' or '-'.`,
      { field },
    );
  }
}
