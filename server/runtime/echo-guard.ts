import type { Redactor } from "../privacy/redactor.js";
import { maskTypedEchoes, type TypedSecret } from "../privacy/typed-echo.js";

/** Output held while a secret is typed, at most: beyond it the output goes on (masked as far as known). */
const MAX_HELD_OUTPUT_CHARS = 1024 * 1024;

/** How long after a typed secret is complete its echoes are still masked: a repaint may come a moment late. */
const LATE_ECHO_MS = 500;

/**
 * Keeps a session's output from showing a secret while it is being typed. A terminal's own echo adds one
 * character at a time, which the output's stream redaction handles; but a harness that repaints its whole input
 * line on every keystroke (a full-screen UI) prints `> AKIAIO`, then `> AKIAIOS`, each a complete word that no
 * pattern matches. So while the session's input holds a secret begun (see `HeldStream.possibleSecret`), its
 * output is held raw; once the input's word is complete, the secrets found in what was typed are masked
 * wherever the held output (and output in the next LATE_ECHO_MS) echoes their beginning, and the output goes on.
 */
export class EchoGuard {
  /** What was typed since the secret began (its unfinished word, then every input after it), while held. */
  #typed: string | undefined;
  #heldOutput = "";
  #recent: { secrets: TypedSecret[]; until: number } | undefined;

  constructor(
    private readonly redactor: Redactor,
    /** Receives output to go on its way (raw, echoes masked). */
    private readonly release: (output: string) => void,
  ) {}

  /** After each input: `possibleSecret` is what the input holds that may become a secret, if anything. */
  afterInput(data: string, possibleSecret: string | undefined): void {
    if (this.#typed === undefined) {
      this.#typed = possibleSecret;
      return;
    }
    this.#typed += data;
    if (possibleSecret === undefined) this.end();
  }

  /** Output as it arrives: held while a secret is typed, else returned to go on (echoes of a recent one masked). */
  output(data: string): string | undefined {
    if (this.#typed !== undefined) {
      this.#heldOutput += data;
      if (this.#heldOutput.length > MAX_HELD_OUTPUT_CHARS) this.#releaseHeld(this.#typed);
      return undefined;
    }
    if (this.#recent === undefined) return data;
    if (performance.now() > this.#recent.until) {
      this.#recent = undefined;
      return data;
    }
    return maskTypedEchoes(data, this.#recent.secrets);
  }

  /** The typing is over (its word complete, abandoned, or the session stops): held output goes on, masked. */
  end(): void {
    const typed = this.#typed;
    if (typed === undefined) return;
    this.#typed = undefined;
    this.#releaseHeld(typed);
  }

  #releaseHeld(typed: string): void {
    const secrets = this.redactor
      .findSecrets(typed)
      .map((span) => ({ name: span.name, value: typed.slice(span.secretStart, span.secretEnd) }));
    if (secrets.length > 0) this.#recent = { secrets, until: performance.now() + LATE_ECHO_MS };
    const held = this.#heldOutput;
    this.#heldOutput = "";
    if (held.length > 0) this.release(maskTypedEchoes(held, secrets));
  }
}
