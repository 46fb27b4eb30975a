import type { SessionStatus } from "../../contract/sessions.js";
import type { Ledger } from "../ledger/ledger.js";

/** What recovery did to one session; the same facts are the payload of its `recovery` event. */
export interface RecoveredSession {
  sessionId: string;
  from: SessionStatus;
  to: SessionStatus;
  reason: string;
  /** The harness pid the dead daemon recorded (it may still be running, unsupervised). */
  pid: number | null;
}

/**
 * The recovery rule for each non-terminal status found at start, when no session can be live under this
 * daemon yet: a harness that was running has lost its supervisor and its PTY, so it is `orphaned`; a row that
 * never got as far as a harness is `failed`.
 */
const RULES: Partial<Record<SessionStatus, { to: SessionStatus; reason: string }>> = {
  running: { to: "orphaned", reason: "daemon_restarted" },
  idle: { to: "orphaned", reason: "daemon_restarted" },
  created: { to: "failed", reason: "launch_interrupted" },
};

export interface RecoveryLogger {
  warn(fields: object, message: string): void;
}

/**
 * Runs at every daemon start, before the API serves: sessions a previous daemon left non-terminal are closed
 * honestly, each with a `recovery` event `{ from, to, reason }` written in the same writer transaction as its
 * status change. They are never reported as live and never re-attached (the PTY died with its daemon; a
 * harness process that outlived it is left alone, and its pid stays on the row and in its `launch` event).
 * External sessions are not ours to judge: their owner reports their end through `complete`.
 */
export async function recoverSessions(ledger: Ledger, logger?: RecoveryLogger): Promise<RecoveredSession[]> {
  const stale = ledger.sessions
    .withStatus(Object.keys(RULES))
    .filter((session) => !session.external)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const recovered = await Promise.all(
    stale.map((candidate) =>
      ledger.writer.transact((tx): RecoveredSession | null => {
        // Re-read inside the transaction: the decision and the write see the same row.
        const session = tx.sessions.get(candidate.id);
        const rule = RULES[session.status];
        if (!rule || session.external) return null;
        tx.sessions.update(session.id, { status: rule.to });
        tx.appendEvent(session.id, "recovery", { from: session.status, to: rule.to, reason: rule.reason });
        return {
          sessionId: session.id,
          from: session.status,
          to: rule.to,
          reason: rule.reason,
          pid: session.pid,
        };
      }, candidate.id),
    ),
  );
  const done = recovered.filter((entry): entry is RecoveredSession => entry !== null);
  for (const entry of done) logger?.warn({ ...entry }, "session recovered after a daemon restart");
  return done;
}
