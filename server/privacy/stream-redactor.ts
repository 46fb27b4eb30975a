import { BUILTIN_PATTERNS } from "./patterns.js";
import {
  ENDS_INSIDE_PRIVATE_KEY,
  PARTIAL_PRIVATE_KEY_END,
  PRIVATE_KEY_CONTINUATION,
  PRIVATE_KEY_END,
} from "./pem.js";
import { type Redactor, withSecretsReplaced } from "./redactor.js";
import { type PlainTextView, TOKEN_PUNCTUATION, withoutGluedEscapes } from "./terminal-text.js";

export interface StreamRedactorOptions {
  /**
   * Most raw characters held back waiting for a secret to finish. Beyond it the text is emitted (redacted as
   * far as it goes) rather than delaying output without bound. Default 4096.
   */
  maxHoldChars?: number;
}

const DEFAULT_MAX_HOLD_CHARS = 4096;

const TRAILING_BREAKS = /(?:\r?\n|\\n|[ \t])*$/;

/** Patterns whose match can span whitespace, with their "started but not finished" tails. */
const UNFINISHED_TAILS: readonly RegExp[] = BUILTIN_PATTERNS.flatMap((p) =>
  p.unfinished === undefined ? [] : [p.unfinished],
);

/** Tails that more text could still make into a built-in secret: a token begun, or an unfinished tail. */
const CONTINUABLE_TAILS: readonly RegExp[] = BUILTIN_PATTERNS.flatMap((p) => {
  const tail = p.unfinished ?? p.partial;
  return tail === undefined ? [] : [tail];
});

/**
 * Redacts a PTY stream written in arbitrary chunks, so that a secret split across writes (`AKIAIOSF` then
 * `ODNN7EXAMPLE`) is never emitted in pieces.
 *
 * Each push redacts the held text plus the new chunk, emits the part no future text can change, and holds the
 * rest raw: the last unfinished word, a keyword still waiting for its value (`Bearer `, `password = "...`), or a
 * private-key block without its END line. Text that ends in whitespace after a complete word is emitted whole.
 *
 * The concatenation of everything emitted equals `redactor.redact(wholeText)` as long as nothing hit
 * `maxHoldChars` and no flush came mid-secret. After a flush the flushed text is kept as context, so a secret
 * that continues after it is still recognised and its remainder replaced (the part flushed before is out).
 * Operator patterns that can match across whitespace are only guaranteed once complete within one hold.
 * The owner calls `flush()` when the stream goes idle or ends.
 */
export class StreamRedactor {
  readonly #redactor: Redactor;
  readonly #maxHold: number;
  /** Raw text: `#text.slice(0, #emitted)` was already emitted (context after a flush), the rest is held. */
  #text = "";
  #emitted = 0;
  /**
   * The text dropped from memory ended inside a private-key block, already replaced by a marker (the key was
   * longer than the hold limit). Until the block's END line, its body lines are dropped too.
   */
  #insidePrivateKey = false;

  constructor(redactor: Redactor, opts: StreamRedactorOptions = {}) {
    const maxHold = opts.maxHoldChars ?? DEFAULT_MAX_HOLD_CHARS;
    if (!Number.isSafeInteger(maxHold) || maxHold < 1) {
      throw new RangeError(`maxHoldChars must be a positive integer, got ${maxHold}`);
    }
    this.#redactor = redactor;
    this.#maxHold = maxHold;
  }

  /** True while some text is held back; the owner should `flush()` once the stream has been idle briefly. */
  get holding(): boolean {
    return this.#text.length > this.#emitted;
  }

  /**
   * True while what is held could still become part of a built-in secret: the unfinished word or assignment it
   * ends is a token begun (`ghp_x`, `AKIAIOSF`, `https://user:`) or a key waiting for its value (`password = hu`),
   * as opposed to an ordinary last word, even one containing a trigger (`task_list`, `Asia`). A terminal echoing
   * a token as it is typed, or a model streaming one, pauses longer than ordinary output does: the owner waits
   * longer before flushing such a tail, since a flush lets the part seen so far out unredacted. The unit is read
   * whole, flushed context included: typed at a person's pace, each keystroke is flushed on its own, and `AKIA`
   * is only ever whole across them.
   */
  get holdingPossibleSecret(): boolean {
    // After a push, `#text` starts where the unfinished unit does (see `#forget`), context included.
    const text = this.#text;
    if (!this.holding || !this.#redactor.mayContainBuiltinSecret(text)) return false;
    const plain = screenTail(text)?.text;
    return CONTINUABLE_TAILS.some((tail) => tail.test(text) || (plain !== undefined && tail.test(plain)));
  }

  /**
   * The unfinished word or assignment being held, raw, with the part of it already let out: what a person is
   * typing while `holdingPossibleSecret` says it may become a secret.
   */
  get heldUnit(): string {
    return this.holding ? this.#text : "";
  }

  /** Feeds a chunk; returns the redacted text that is safe to emit now (possibly empty). */
  push(chunk: string): string {
    let text = this.#text + chunk;
    if (this.#insidePrivateKey) {
      // Context is of no use here: the block it would complete is already behind us.
      text = text.slice(this.#emitted);
      this.#emitted = 0;
      const rest = this.#skipPrivateKeyRest(text, false);
      if (rest === undefined) return "";
      text = rest;
    }
    // One trigger scan per push, shared by the cut and the rendering below: every text they look at is a part
    // of `text`, and a part of a text without a trigger has none either.
    const mayContainBuiltin = this.#redactor.mayContainBuiltinSecret(text);
    let cut = this.#safeCut(text, mayContainBuiltin);
    if (cut > 0 && ENDS_INSIDE_PRIVATE_KEY.test(text.slice(0, cut))) {
      // Forced out mid-key: the marker stands for the block up to its last body line, so line breaks after it
      // wait with what follows (the next body line, or the END line), as they would in the one-shot redaction.
      cut -= TRAILING_BREAKS.exec(text.slice(0, cut))?.[0].length ?? 0;
    }
    const from = this.#emitted;
    const to = Math.max(cut, from);
    const out = this.#render(text, from, to, mayContainBuiltin);
    this.#forget(text, cut, to);
    return out;
  }

  /** Emits everything held, redacted as it stands; keeps it as context for what follows. */
  flush(): string {
    if (this.#insidePrivateKey) {
      const rest = this.#skipPrivateKeyRest(this.#text.slice(this.#emitted), true) ?? "";
      this.#text = "";
      this.#emitted = 0;
      return this.#render(rest, 0, rest.length);
    }
    const out = this.#render(this.#text, this.#emitted, this.#text.length);
    this.#emitted = this.#text.length;
    return out;
  }

  /**
   * The redacted form of `text[from, to)`, given that `text[0, from)` was emitted already. A secret that began
   * in the emitted part gets a marker for its remainder.
   */
  #render(text: string, from: number, to: number, mayContainBuiltin?: boolean): string {
    if (from >= to) return "";
    return withSecretsReplaced(
      text,
      this.#redactor.findSecrets(text.slice(0, to), mayContainBuiltin),
      from,
      to,
    );
  }

  /** Keeps `text` from `cut` on (what is held, plus context still needed), noting what was emitted up to `to`. */
  #forget(text: string, cut: number, to: number): void {
    const dropped = text.slice(0, cut);
    // Only a forced emission drops text inside a key: otherwise the block is held from its BEGIN line.
    if (dropped.length > 0 && ENDS_INSIDE_PRIVATE_KEY.test(dropped)) this.#insidePrivateKey = true;
    // A word that escape sequences end was emitted, but the next write may glue on to it on screen
    // (`https\e[m\e[K` then `://user:password@…`): it stays as context, so that reading still sees it whole.
    // Only token characters can be glued on (see `withoutGluedEscapes`), so only those are kept.
    const runStart = escapeRunStart(text, cut);
    let keepFrom =
      runStart > 0 && isTokenChar(text.charCodeAt(runStart - 1))
        ? tokenRunStart(text, runStart, Math.max(0, cut - this.#maxHold))
        : cut;
    // Never from inside a sequence cut short (`ESC [ 3` then another): its tail would read as text.
    if (insideEscapeSequence(text, keepFrom)) keepFrom = cut;
    this.#text = text.slice(keepFrom);
    this.#emitted = to - keepFrom;
  }

  /**
   * While inside an already-redacted key: drops its remaining body lines and END line, and returns what follows
   * them. Returns undefined when all of it was dropped or must wait (the END line may be arriving); on flush,
   * such a partial END line is returned instead, since it holds no key material.
   */
  #skipPrivateKeyRest(text: string, flushing: boolean): string | undefined {
    const body = PRIVATE_KEY_CONTINUATION.exec(text)?.[0] ?? "";
    const rest = text.slice(body.length);
    const end = PRIVATE_KEY_END.exec(rest);
    if (end !== null) {
      this.#insidePrivateKey = false;
      return rest.slice(end[0].length);
    }
    if (PARTIAL_PRIVATE_KEY_END.test(rest) && rest.length <= this.#maxHold) {
      if (flushing) return rest;
      this.#text = rest;
      return undefined;
    }
    // Something else: the block was cut short. Back to normal.
    this.#insidePrivateKey = false;
    return rest;
  }

  /** Where to split `text`: everything before the returned index can be emitted now, the rest is held. */
  #safeCut(text: string, mayContainBuiltin: boolean): number {
    const length = text.length;
    const floor = Math.max(0, length - this.#maxHold);
    // Within one "word" longer than the hold limit (minified JSON, a long URL), a delimiter no token contains
    // still separates a token at the end from what came before, so that token can be held.
    const breakBefore = (end: number) => {
      const wordBreak = lastWordBreak(text, end, floor, (word) =>
        this.#redactor.mayContainBuiltinSecret(word),
      );
      if (wordBreak >= 0) return wordBreak;
      // Escape sequences glued inside a word do not end it, but in a word this long they are the best place left.
      const escapeEnd = lastEscapeEnd(text, end, floor);
      return escapeEnd >= 0 ? escapeEnd : lastDelimiter(text, end, floor);
    };
    let cut = breakBefore(length);
    if (cut < 0) return length; // one token longer than the hold limit: stop waiting for it
    const windowText = floor === 0 ? text : text.slice(floor);
    // Every unfinished tail contains its pattern's trigger; without one, only the last word can be held.
    const tails = mayContainBuiltin ? UNFINISHED_TAILS : [];
    for (const tail of tails) {
      const match = tail.exec(windowText);
      if (match !== null) cut = Math.min(cut, floor + match.index);
    }
    // A tail coloured inside a word (`DB_\e[31mPASSWORD = "…`) is found as it reads on screen, and so is one
    // that escape sequences end (`Bearer DB_\e[3`): the next write may glue the word on.
    const plain = mayContainBuiltin ? screenTail(windowText) : undefined;
    if (plain !== undefined) {
      for (const tail of UNFINISHED_TAILS) {
        const match = tail.exec(plain.text);
        if (match !== null) cut = Math.min(cut, floor + plain.original(match.index));
      }
    }
    if (cut === length) return length;
    // A complete secret may still straddle the cut, e.g. `token = abc,de`: the word break is after `= `. And a
    // cut inside a word could change how the text before it ends (`AKIA...EXAMPLEpassword` is no key id), so
    // the cut always goes back to a word break.
    const spans = this.#redactor.findSecrets(text, mayContainBuiltin);
    for (;;) {
      cut = Math.max(breakBefore(cut), 0);
      const straddling = spans.find((s) => s.start < cut && cut < s.end);
      if (straddling === undefined) break;
      cut = straddling.start;
    }
    return length - cut > this.#maxHold ? length : cut;
  }
}

/**
 * The last index `i <= end` where no word can continue across: just after whitespace, a control character or a
 * complete escape sequence, or the start of the text. Built-in token patterns never contain those, and a token
 * may start right after an escape sequence as it may at the start of a text, so splitting there changes
 * nothing. Except for escape sequences glued between token characters (`AKIA\e[m\e[KIOSF…`,
 * `DB_\e[31mPASSWORD`; see `withoutGluedEscapes`): the redactor reads through them, so the word goes on. One at
 * the very end of the text, after a token character, is a break unless that word may begin a secret
 * (`mayBeginSecret`): the next write may continue it.
 * Searches back to `floor` only; returns -1 when there is no such index at or above it.
 */
function lastWordBreak(
  text: string,
  end: number,
  floor: number,
  mayBeginSecret: (word: string) => boolean,
): number {
  // Up to here the text is complete; after it comes at most a sequence still arriving.
  const arrivingFrom = unfinishedEscapeStart(text, text.length);
  for (let i = end; i > floor; i--) {
    if (isBreakChar(text.charCodeAt(i - 1))) {
      if (breaksWordAt(text, i)) return i;
      continue;
    }
    const start = escapeRunStart(text, i);
    if (start < 0) continue;
    if (start === 0 || !isTokenChar(text.charCodeAt(start - 1))) return i;
    // At the end, or before a sequence still arriving there, what comes next is not known yet.
    const atEnd = i === text.length || arrivingFrom === i;
    const glued = atEnd
      ? mayBeginSecret(text.slice(wordStart(text, start, floor), start))
      : isTokenChar(text.charCodeAt(i));
    if (!glued) return i;
    i = start + 1; // the loop's decrement goes on before the run
  }
  return floor === 0 ? 0 : -1;
}

/**
 * `text` as it may read on screen once more arrives: without the escape sequences inside its words, nor those at
 * its end, complete or still arriving (`ESC`, `ESC [ 1 ; 3`). Undefined when that is `text` itself.
 */
function screenTail(text: string): PlainTextView | undefined {
  let end = unfinishedEscapeStart(text, text.length);
  if (end < 0) end = text.length;
  for (let start = escapeRunStart(text, end); start >= 0; start = escapeRunStart(text, end)) end = start;
  const complete = text.slice(0, end);
  return (
    withoutGluedEscapes(complete) ?? (end < text.length ? { text: complete, original: (i) => i } : undefined)
  );
}

/**
 * Where the word ending at `end` starts (after the last break character that is not inside an escape sequence:
 * the space of `ESC [ SP q` is none), searching back to `floor`.
 */
function wordStart(text: string, end: number, floor: number): number {
  let i = end;
  while (i > floor && !breaksWordAt(text, i)) i--;
  return i;
}

/** Whether the character before `i` is a break character, and not a space inside an escape sequence. */
function breaksWordAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i - 1);
  return isBreakChar(code) && !(code === 0x20 && insideEscapeSequence(text, i));
}

/** Where the run of token characters (and escape sequences glued between them) ending at `end` starts. */
function tokenRunStart(text: string, end: number, floor: number): number {
  let i = end;
  while (i > floor) {
    // A sequence first: its last byte (`ESC [ 3 P`) may look like a token character, but it is no text.
    const run = escapeRunStart(text, i);
    if (run >= 0) {
      if (run > floor && isTokenChar(text.charCodeAt(run - 1))) i = run;
      else break;
    } else if (isTokenChar(text.charCodeAt(i - 1))) i--;
    else break;
  }
  return i;
}

/** The last index `i <= end`, above `floor`, where a complete escape sequence ends; -1 when there is none. */
function lastEscapeEnd(text: string, end: number, floor: number): number {
  for (let i = end; i > floor; i--) if (escapeSequenceStartBefore(text, i) >= 0) return i;
  return -1;
}

/** Where the run of complete escape sequences ending just before `end` starts; -1 when none ends there. */
function escapeRunStart(text: string, end: number): number {
  let start = -1;
  for (let at = end; ; ) {
    const sequenceStart = escapeSequenceStartBefore(text, at);
    if (sequenceStart < 0) return start;
    start = sequenceStart;
    at = sequenceStart;
  }
}

const ESC = 0x1b;

/** What secrets are made of (see `withoutGluedEscapes`): a run of escape sequences between two of these is glued. */
const TOKEN_PUNCTUATION_CODES = new Set([...TOKEN_PUNCTUATION].map((char) => char.charCodeAt(0)));

function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    TOKEN_PUNCTUATION_CODES.has(code)
  );
}

/**
 * Characters no built-in token contains: the word breaks of last resort inside one very long word. Not `[`, `]`
 * (they open CSI and OSC sequences) nor `;`, `<`, `>` (parameters of colour codes); and a delimiter that is part
 * of an unfinished escape sequence (`ESC (`) is no break either.
 */
const DELIMITERS = new Set([..."\"'`,(){}|"].map((char) => char.charCodeAt(0)));

/** The last index `i <= end`, above `floor`, just after a delimiter; -1 when there is none. */
function lastDelimiter(text: string, end: number, floor: number): number {
  for (let i = end; i > floor; i--) {
    if (DELIMITERS.has(text.charCodeAt(i - 1)) && !insideEscapeSequence(text, i)) return i;
  }
  return -1;
}

/** How far back to look for the start of an escape sequence (real ones are a few characters long). */
const MAX_ESCAPE_LOOKBACK = 64;

function isBreakChar(code: number): boolean {
  if (code === ESC) return false; // starts an escape sequence; what follows it belongs to the sequence
  if (code <= 0x20 || code === 0x7f || (code >= 0x80 && code <= 0xa0)) return true;
  return code > 0x7f && /\s/.test(String.fromCharCode(code));
}

/**
 * Where the escape sequence that `text[0, end)` ends partway into starts (after `ESC [ params intermediates` or
 * `ESC intermediates`); -1 when it ends outside one. A space can be an intermediate byte (`ESC [ 2 SP q`), and
 * then it is no word break: the sequence's final byte, and any token glued to it, follow.
 */
function unfinishedEscapeStart(text: string, end: number): number {
  // Looking further back would make a run of spaces quadratic. Answering "no" for a freak sequence only allows
  // a split there, and the text after a split is redacted at least as much as it would be unsplit.
  const limit = Math.max(0, end - MAX_ESCAPE_LOOKBACK);
  let i = end - 1;
  while (i >= limit && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i--;
  if (i >= limit && text.charCodeAt(i) === ESC) return i;
  while (i >= limit && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x3f) i--;
  return i >= limit + 1 && text.charCodeAt(i) === 0x5b && text.charCodeAt(i - 1) === ESC ? i - 1 : -1;
}

function insideEscapeSequence(text: string, end: number): boolean {
  return unfinishedEscapeStart(text, end) >= 0;
}

/** Where a complete CSI sequence (`ESC [ params final`) or two-character escape ending just before `end` starts; -1 if none does. */
function escapeSequenceStartBefore(text: string, end: number): number {
  if (end < 2) return -1;
  const final = text.charCodeAt(end - 1);
  if (text.charCodeAt(end - 2) === ESC) {
    // ESC [ (CSI), ESC ] (OSC), ESC P/X/^/_ (string sequences) open a longer sequence instead.
    return final >= 0x30 && final <= 0x7e && !"[]PX^_".includes(String.fromCharCode(final)) ? end - 2 : -1;
  }
  if (final < 0x40 || final > 0x7e) return -1;
  // Backwards: intermediates (0x20-0x2F), then parameters (0x30-0x3F), then `ESC [`.
  let i = end - 2;
  while (i >= 0 && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i--;
  while (i >= 0 && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x3f) i--;
  return i >= 1 && text.charCodeAt(i) === 0x5b && text.charCodeAt(i - 1) === ESC ? i - 1 : -1;
}
