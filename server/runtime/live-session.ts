import type { IPty } from "node-pty";
import type { StreamRedactor } from "../privacy/stream-redactor.js";

/** A harness PTY this daemon owns, with the state its lifecycle needs. */
export interface LiveSession {
  id: string;
  pty: IPty;
  redactor: StreamRedactor;
  /** Set by kill: the exit that follows is recorded as `killed`, whatever the exit code says. */
  killRequested: boolean;
  idleFlush: NodeJS.Timeout | undefined;
  killEscalation: NodeJS.Timeout | undefined;
}

/** The PTYs this daemon owns, by session id. Only sessions in here are live. */
export class LiveSessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();

  add(session: LiveSession): void {
    this.sessions.set(session.id, session);
  }

  get(id: string): LiveSession | undefined {
    return this.sessions.get(id);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): LiveSession[] {
    return [...this.sessions.values()];
  }
}
