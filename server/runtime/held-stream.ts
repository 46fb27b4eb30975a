import type { StreamRedactor } from "../privacy/stream-redactor.js";

export interface ReleaseDelays {
  /** Held text (an unfinished last word) is released after this much quiet. */
  idleMs: number;
  /** Held text that could be part of a secret (`ghp_...`, `AKIA...`, `password = ...`) waits this long instead. */
  secretIdleMs: number;
}

/**
 * One direction of a live session's terminal (its output, or the input sent to it), redacted as a stream: a
 * secret split over several writes or requests is still caught, because the unfinished last word is held back
 * until what follows completes it. What is held is released after a short quiet period, or a longer one when it
 * could still become a secret (a token being typed, or streamed by a model): a release lets what was seen of
 * it out unredacted, so it waits for the pause a person or a model takes.
 */
export class HeldStream {
  #idleRelease: NodeJS.Timeout | undefined;

  constructor(
    private readonly redactor: StreamRedactor,
    private readonly delays: ReleaseDelays,
    /** Receives what the quiet period releases (never empty). */
    private readonly onIdleRelease: (text: string) => void,
  ) {}

  /** Feeds a chunk; returns the redacted text that can be recorded now (possibly empty). */
  push(chunk: string): string {
    const ready = this.redactor.push(chunk);
    clearTimeout(this.#idleRelease);
    this.#idleRelease = this.redactor.holding
      ? setTimeout(
          () => {
            this.#idleRelease = undefined;
            const text = this.redactor.flush();
            if (text.length > 0) this.onIdleRelease(text);
          },
          this.redactor.holdingPossibleSecret ? this.delays.secretIdleMs : this.delays.idleMs,
        )
      : undefined;
    return ready;
  }

  /** The unfinished word held, raw, while it could still become a secret (a secret being typed); else undefined. */
  get possibleSecret(): string | undefined {
    return this.redactor.holdingPossibleSecret ? this.redactor.heldUnit : undefined;
  }

  /**
   * Everything held, redacted as it stands, now: for an event that must be ordered after it (a kill, the exit).
   * What is released stays context, so a secret that goes on afterwards still has its remainder replaced.
   */
  release(): string {
    clearTimeout(this.#idleRelease);
    this.#idleRelease = undefined;
    return this.redactor.flush();
  }
}
