/**
 * Plain text from terminal output for chat: the same rules as the daemon's `server/privacy/terminal-text.ts`
 * (reimplemented, since `clients/` never imports `server/` at run time), plus a streaming wrapper, because a
 * PTY chunk can end in the middle of an escape sequence and the rest arrives in the next event.
 */

/** Everything `stripTerminalControls` removes, one alternation so the text is scanned once. */
const TERMINAL_CONTROL = new RegExp(
  [
    // OSC (ESC ] or C1 0x9D), e.g. window titles and hyperlinks: up to BEL or ST (ESC \ or C1 0x9C).
    String.raw`(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?`,
    // DCS, SOS, PM, APC (ESC P / X / ^ / _ or C1 0x90, 0x98, 0x9E, 0x9F): up to ST.
    String.raw`(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?`,
    // CSI (ESC [ or C1 0x9B): parameters, intermediates, one final byte.
    String.raw`(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?`,
    // Other escape sequences: ESC, optional intermediates, a final byte.
    String.raw`\x1b[ -/]*[0-~]?`,
    // CRLF becomes LF (in the replacer); then any other C0 control but tab and LF, DEL, and C1 controls.
    String.raw`\r\n`,
    String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f]`,
  ].join("|"),
  "g",
);

/** Unicode bidi embeddings, overrides, isolates and marks ("Trojan Source" reordering). */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Removes ANSI/VT escape sequences and control characters; keeps `\n` and `\t`, turns `\r\n` into `\n`. */
export function stripTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROL, (match) => (match === "\r\n" ? "\n" : ""));
}

export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROL, "");
}

/** Terminal controls and bidi controls removed: what a person reading the chat should see. */
export function toChatText(text: string): string {
  return stripBidiControls(stripTerminalControls(text));
}

/** A complete sequence starting at an introducer, anchored at the start (sticky). */
const COMPLETE_SEQUENCE = new RegExp(
  [
    String.raw`(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)`,
    String.raw`(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)`,
    String.raw`(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]`,
    // Any other escape: intermediates then a final byte, or a final byte that introduces none of the above.
    String.raw`\x1b(?:[ -/]+[0-~]|[0-OQ-WYZ\\\x60-~])`,
  ].join("|"),
  "y",
);
const INTRODUCER = /[\x1b\x90\x98\x9b\x9d\x9e\x9f]/g;
/** An escape sequence is never longer than this in practice; longer "pending" tails are flushed as text. */
const MAX_PENDING = 4096;

/**
 * Turns a stream of PTY chunks into chat text. A chunk that ends inside an escape sequence (or with a lone
 * `\r` that may start a CRLF) keeps that tail back until the next chunk completes it, so no half-sequence
 * leaks into the chat as visible garbage like `1m`.
 */
export class TerminalTextStream {
  private pending = "";

  /** Clean text for this chunk (possibly empty); an unfinished tail waits for the next chunk. */
  push(chunk: string): string {
    const text = this.pending + chunk;
    const cut = this.incompleteTailStart(text);
    this.pending = text.slice(cut);
    return toChatText(text.slice(0, cut));
  }

  /** Whatever is still held back, cleaned (the stream ended). */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return toChatText(rest);
  }

  private incompleteTailStart(text: string): number {
    if (text.length === 0) return 0;
    const from = Math.max(0, text.length - MAX_PENDING);
    let start = -1;
    INTRODUCER.lastIndex = from;
    for (let match = INTRODUCER.exec(text); match; match = INTRODUCER.exec(text)) start = match.index;
    if (start >= 0) {
      COMPLETE_SEQUENCE.lastIndex = start;
      const complete = COMPLETE_SEQUENCE.exec(text);
      // The last introducer begins a sequence that the text does not finish yet: hold it back.
      if (!complete) return start;
      if (complete.index + complete[0].length < text.length) return this.crTail(text);
      return text.length;
    }
    return this.crTail(text);
  }

  private crTail(text: string): number {
    return text.endsWith("\r") ? text.length - 1 : text.length;
  }
}
