import { TERMINAL_STATUSES } from "../../contract/sessions.js";
import type { Ledger } from "./ledger.js";
import type { EventRow } from "./records.js";

const PAGE = 1000;
/** Waiters of the whole-ledger stream are woken by every commit. */
const ALL = "*";

/**
 * The live event stream: replays a session's events from the ledger after a `seq` cursor, then wakes on every
 * commit of that session and reads on. Reading from the ledger (never from an in-memory buffer) is what makes a
 * reconnect with the last seen `seq` lose and duplicate nothing. The stream ends after the session's `exit`
 * event, or once the session is terminal and fully read. Without a session id it follows the whole ledger
 * (every session, in seq order) until the client goes away.
 */
export class EventFeed {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(private readonly ledger: Ledger) {
    ledger.writer.onCommit((events) => {
      const sessions = new Set(events.map((event) => event.session_id));
      for (const sessionId of sessions) this.wake(sessionId);
      this.wake(ALL);
    });
  }

  async *follow(
    sessionId: string | undefined,
    afterSeq: number,
    signal?: AbortSignal,
  ): AsyncGenerator<EventRow> {
    let cursor = afterSeq;
    while (!this.closed && !signal?.aborted) {
      const page =
        sessionId === undefined
          ? this.ledger.events.pageAll(cursor, PAGE)
          : this.ledger.events.page(sessionId, cursor, PAGE);
      for (const event of page.events) {
        yield event;
        cursor = event.seq;
        if (sessionId !== undefined && event.kind === "exit") return;
      }
      if (page.events.length > 0) continue;
      if (sessionId !== undefined) {
        const session = this.ledger.sessions.find(sessionId);
        if (!session || TERMINAL_STATUSES.has(session.status)) return;
      }
      // Registered synchronously after an empty read: no commit can slip in between on this one thread.
      await this.nextCommit(sessionId ?? ALL, signal);
    }
  }

  /** Ends every open stream (daemon shutdown), so in-flight requests can finish. */
  close(): void {
    this.closed = true;
    for (const sessionId of [...this.waiters.keys()]) this.wake(sessionId);
  }

  private nextCommit(sessionId: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiters.get(sessionId) ?? new Set();
      this.waiters.set(sessionId, waiters);
      const done = () => {
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(sessionId);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private wake(sessionId: string): void {
    for (const waiter of [...(this.waiters.get(sessionId) ?? [])]) waiter();
  }
}
