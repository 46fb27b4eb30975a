import type { Redactor } from "../privacy/redactor.js";
import { maskTypedEchoes, type TypedSecret } from "../privacy/typed-echo.js";

/** Output held while a secret is typed, at most: beyond it the output goes on (masked as far as known). */
const MAX_HELD_OUTPUT_CHARS = 1024 * 1024;

/**
 * How long output stays held after a typed secret is complete: a harness may repaint a moment late, and a
 * repaint split over two reads must be masked whole.
 */
const LATE_ECHO_MS = 300;

/** The name a secret still being typed is masked under when held output must go before it is complete. */
const UNFINISHED_SECRET = "typed_secret";

/**
 * Keeps a session's output from showing a secret while it is being typed. A terminal's own echo adds one
 * character at a time, which the output's stream redaction handles; but a harness that repaints its whole input
 * line on every keystroke (a full-screen UI) prints `> AKIAIO`, then `> AKIAIOS`, each a complete word that no
 * pattern matches. So while the session's input holds a secret begun (see `HeldStream.possibleSecret`), its
 * output is held raw; once the input's word is complete, output stays held LATE_ECHO_MS more, and then goes on
 * with every echo of the typed secrets' beginnings masked (see `maskTypedEchoes`).
 */
export class EchoGuard {
  /** What was typed since the secret began (its unfinished word, then every input after it), while typing. */
  #typed: string | undefined;
  /** Secrets typed whose echoes the held output may still show. */
  #secrets: TypedSecret[] = [];
  #heldOutput = "";
  #lateEchoes: NodeJS.Timeout | undefined;

  constructor(
    private readonly redactor: Redactor,
    /** Receives output to go on its way (raw, echoes masked). */
    private readonly release: (output: string) => void,
  ) {}

  /** After each input: `possibleSecret` is what the input holds that may become a secret, if anything. */
  afterInput(data: string, possibleSecret: string | undefined): void {
    if (this.#typed === undefined) {
      this.#typed = possibleSecret;
      // Another secret begun while the last one's late echoes are awaited: all wait for this one.
      if (possibleSecret !== undefined) this.#stopWaitingForLateEchoes();
      return;
    }
    this.#typed += data;
    if (possibleSecret !== undefined) return;
    this.#secrets.push(...this.#secretsIn(this.#typed));
    this.#typed = undefined;
    if (this.#secrets.length === 0) {
      this.#releaseHeld();
      return;
    }
    this.#stopWaitingForLateEchoes();
    this.#lateEchoes = setTimeout(() => this.#releaseHeld(), LATE_ECHO_MS);
  }

  /** The input let out what it held of a secret begun (its typing paused): its output waits no more either. */
  inputReleased(): void {
    if (this.#typed !== undefined) this.end();
  }

  /** Output as it arrives: returned to go on now, or undefined while it is held. */
  output(data: string): string | undefined {
    if (this.#typed === undefined && this.#lateEchoes === undefined) return data;
    this.#heldOutput += data;
    if (this.#heldOutput.length > MAX_HELD_OUTPUT_CHARS) this.#releaseHeld();
    return undefined;
  }

  /**
   * The typing is over before its word is (abandoned, or the session stops): held output goes on now, masked,
   * with what was typed of the secret masked too.
   */
  end(): void {
    this.#releaseHeld();
    this.#typed = undefined;
    this.#secrets = [];
  }

  #secretsIn(typed: string): TypedSecret[] {
    return this.redactor
      .findSecrets(typed)
      .map((span) => ({ name: span.name, value: typed.slice(span.secretStart, span.secretEnd) }));
  }

  #stopWaitingForLateEchoes(): void {
    clearTimeout(this.#lateEchoes);
    this.#lateEchoes = undefined;
  }

  /**
   * Sends the held output on, masked. While a secret is still being typed (the session stops, or held output
   * outgrew the limit), what was typed of it so far is masked too: its repaints are all prefixes of it.
   */
  #releaseHeld(): void {
    this.#stopWaitingForLateEchoes();
    const secrets = [...this.#secrets];
    if (this.#typed !== undefined) {
      secrets.push(...this.#secretsIn(this.#typed), { name: UNFINISHED_SECRET, value: this.#typed });
    } else {
      this.#secrets = [];
    }
    const held = this.#heldOutput;
    this.#heldOutput = "";
    if (held.length > 0) this.release(maskTypedEchoes(held, secrets));
  }
}
