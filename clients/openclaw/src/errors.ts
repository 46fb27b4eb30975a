import { AcpRuntimeError, type AcpRuntimeErrorCode } from "openclaw/plugin-sdk/acp-runtime";
import {
  CovenClientError,
  CovenConnectionError,
  DaemonNotRunningError,
  IncompatibleDaemonError,
} from "../../core/index.js";
import { SocketTrustError } from "./trust.js";

/**
 * Detail codes of the refusals this plugin makes itself. A daemon refusal keeps its contract code
 * (`invalid_request`, `launch_failed`, `session_not_live`, …) as the detail code instead.
 */
export const DETAIL = {
  agentNotAllowed: "agent_not_allowed",
  cwdRequired: "cwd_required",
  promptTooLarge: "prompt_too_large",
  attachmentsUnsupported: "attachments_unsupported",
  daemonNotRunning: "daemon_not_running",
  incompatibleDaemon: "incompatible_daemon",
  connectionFailed: "connection_failed",
  invalidSessionId: "invalid_session_id",
  streamEnded: "stream_ended",
  unknownHandle: "unknown_handle",
  internal: "internal_error",
} as const;

/** Whether the failure only means "no daemon is serving" (the one case a configured fallback may cover). */
export function isDaemonAbsent(error: unknown): boolean {
  return (
    error instanceof DaemonNotRunningError ||
    (error instanceof SocketTrustError && error.reason === "socket_missing")
  );
}

/**
 * Any failure → `AcpRuntimeError`. Daemon refusals keep the contract code as `detailCode` (clients branch on
 * the code, never on the message); connection-level problems are `ACP_BACKEND_UNAVAILABLE`.
 */
export function toAcpRuntimeError(
  error: unknown,
  fallbackCode: AcpRuntimeErrorCode,
  doing: string,
): AcpRuntimeError {
  if (error instanceof AcpRuntimeError) return error;
  if (error instanceof CovenClientError) {
    return new AcpRuntimeError(fallbackCode, `Coven refused ${doing}: ${error.message} (${error.code})`, {
      cause: error,
      detailCode: error.code,
    });
  }
  if (error instanceof SocketTrustError) {
    const code = error.reason === "socket_missing" ? DETAIL.daemonNotRunning : error.reason;
    return new AcpRuntimeError("ACP_BACKEND_UNAVAILABLE", error.message, { cause: error, detailCode: code });
  }
  if (error instanceof DaemonNotRunningError) {
    return new AcpRuntimeError("ACP_BACKEND_UNAVAILABLE", error.message, {
      cause: error,
      detailCode: DETAIL.daemonNotRunning,
    });
  }
  if (error instanceof IncompatibleDaemonError) {
    return new AcpRuntimeError("ACP_BACKEND_UNAVAILABLE", error.message, {
      cause: error,
      detailCode: DETAIL.incompatibleDaemon,
    });
  }
  if (error instanceof CovenConnectionError) {
    return new AcpRuntimeError("ACP_BACKEND_UNAVAILABLE", error.message, {
      cause: error,
      detailCode: DETAIL.connectionFailed,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AcpRuntimeError(fallbackCode, `Coven ${doing} failed: ${message}`, {
    cause: error,
    detailCode: DETAIL.internal,
  });
}
