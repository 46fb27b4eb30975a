import { randomFillSync, randomUUID } from "node:crypto";
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

/** Random bytes fetched 4 KiB at a time: one call into the CSPRNG per 256 ids instead of one per id. */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;
const idBytes = Buffer.alloc(16);

/**
 * A fresh event id: a version 7 UUID (RFC 9562), the creation time in milliseconds followed by 74 random bits.
 * Ids in time order land at the end of the ledger's unique index on `events.id`: a random v4 UUID put each new
 * event on a random page of that index, one more page written to the WAL per event in every commit.
 */
export function newEventId(now = Date.now()): string {
  if (randomPoolOffset + 10 > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  idBytes.writeUIntBE(now, 0, 6);
  randomPool.copy(idBytes, 6, randomPoolOffset, randomPoolOffset + 10);
  randomPoolOffset += 10;
  idBytes[6] = 0x70 | ((idBytes[6] as number) & 0x0f);
  idBytes[8] = 0x80 | ((idBytes[8] as number) & 0x3f);
  const hex = idBytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
