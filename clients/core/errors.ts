import os from "node:os";
import path from "node:path";
import type { ErrorCode, ErrorEnvelope } from "../../contract/errors.js";
import type { AMBIGUOUS_PREFIX, SESSION_IS_LIVE } from "../../contract/sessions.js";

/** `details.reason` of the archive routes' refusals; typed by the contract, so they cannot drift from it. */
export const REASON_SESSION_IS_LIVE: typeof SESSION_IS_LIVE = "session_is_live";
export const REASON_AMBIGUOUS_PREFIX: typeof AMBIGUOUS_PREFIX = "ambiguous_prefix";

/** The daemon answered with a contract error: branch on `code`, show `message`, inspect `details`. */
export class CovenClientError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status the contract gives `code`. */
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, status: number, details?: Record<string, unknown>) {
    super(message);
    this.name = "CovenClientError";
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** The REST error envelope this error travelled as (what `--json` prints). */
  toEnvelope(): ErrorEnvelope {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

/** Nothing is serving on the socket (no socket file, or a stale one that refuses connections). */
export class DaemonNotRunningError extends Error {
  constructor(
    readonly socketPath: string,
    readonly home: string,
    options?: { cause?: unknown },
  ) {
    const where = home === path.join(os.homedir(), ".coven") ? "" : ` (COVEN_HOME=${home})`;
    super(
      `The Coven daemon is not running: nothing is listening on ${socketPath}. ` +
        `Start it with \`coven daemon start\`${where}.`,
      options,
    );
    this.name = "DaemonNotRunningError";
  }
}

/** Something answers on the socket but is not a daemon this client can use (version or capability). */
export class IncompatibleDaemonError extends Error {
  constructor(
    message: string,
    readonly missingCapability?: string,
  ) {
    super(message);
    this.name = "IncompatibleDaemonError";
  }
}

/** The socket could be reached but the exchange failed (permission, reset, garbled answer). */
export class CovenConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CovenConnectionError";
  }
}

/** ENOENT (no socket file) and ECONNREFUSED (stale socket) both mean no daemon is serving there. */
export function isNotRunningCause(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 6; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ECONNREFUSED") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
