import type { IPty } from "node-pty";
import type { EchoGuard } from "./echo-guard.js";
import type { HeldStream } from "./held-stream.js";

/** A harness PTY this daemon owns, with the state its lifecycle needs. */
export interface LiveSession {
  id: string;
  pty: IPty;
  /** What the harness prints, redacted as one stream on its way to `output` events. */
  output: HeldStream;
  /**
   * What clients send it, redacted as one stream on its way to `input` events: `coven attach` sends typing a
   * keystroke per request, and a secret typed that way must not be stored a character per event.
   */
  input: HeldStream;
  /** Holds output while a secret is being typed, so a harness repainting its input line does not show it. */
  echo: EchoGuard;
  /** Set by kill: the exit that follows is recorded as `killed`, whatever the exit code says. */
  killRequested: boolean;
  /**
   * Set when the harness has exited, before its `exit` event commits and the session leaves the registry: input
   * and kill are refused from then on, so nothing is recorded after the exit.
   */
  exited: boolean;
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
