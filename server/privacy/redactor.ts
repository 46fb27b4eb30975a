import {
  BUILTIN_PATTERNS,
  BUILTIN_TRIGGER,
  CUSTOM_PATTERN_NAME,
  redactionMarker,
  SECRET_KEYS,
} from "./patterns.js";
import { escapeSequencesIn, type PlainTextView, withoutGluedEscapes } from "./terminal-text.js";

/** One planned replacement: `[secretStart, secretEnd)` becomes the marker; the rest of `[start, end)` stays. */
export interface RedactionSpan {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly secretStart: number;
  readonly secretEnd: number;
}

/** An extra pattern with a name of its own for its marker (operator patterns are named `custom`). */
export interface NamedPattern {
  readonly name: string;
  readonly regex: RegExp;
}

interface ActivePattern {
  readonly name: string;
  /** A private copy: `lastIndex` is per-instance state. */
  readonly regex: RegExp;
}

/** What follows a value that is really the next key: its closing quote, if any, then an assignment operator. */
const OPERATOR_AFTER_VALUE = /^["'\x60]?[ \t]*(?:=>|:=|[:=])/;

/** Object keys whose string values are secrets whatever they look like (`password`, `apiKey`, `accessToken`). */
const SECRET_KEY_NAME = new RegExp(`(?:${SECRET_KEYS})$`, "i");

/**
 * Replaces secret-shaped text with `[REDACTED:<name>]`, using the built-in patterns plus the operator's own
 * (named `custom`).
 *
 * All patterns are scanned in a single left-to-right pass: at each point the match that starts first wins (on a
 * tie, the longer one, then the earlier pattern), and scanning resumes after it, or at its value when a key came
 * first; overlapping finds are joined. So a secret is redacted once, under one name, and a marker is never fed
 * back into another pattern.
 */
export class Redactor {
  readonly #patterns: readonly ActivePattern[];
  /** Operator patterns alone: they have no known trigger, so they are always scanned. */
  readonly #customPatterns: readonly ActivePattern[];
  readonly #customNames: ReadonlySet<string>;

  constructor(extraPatterns: readonly (RegExp | NamedPattern)[] = []) {
    this.#customPatterns = extraPatterns.map((pattern) =>
      pattern instanceof RegExp
        ? { name: CUSTOM_PATTERN_NAME, regex: scanningCopy(pattern) }
        : { name: pattern.name, regex: scanningCopy(pattern.regex) },
    );
    this.#customNames = new Set(this.#customPatterns.map((pattern) => pattern.name));
    this.#patterns = [
      ...BUILTIN_PATTERNS.map((p) => ({ name: p.name, regex: scanningCopy(p.regex) })),
      ...this.#customPatterns,
    ];
  }

  /** False when `text` cannot contain a built-in secret or the start of one (no pattern's trigger occurs). */
  mayContainBuiltinSecret(text: string): boolean {
    return BUILTIN_TRIGGER.test(text);
  }

  redact(text: string): string {
    const spans = this.findSecrets(text);
    return spans.length === 0 ? text : withSecretsReplaced(text, spans);
  }

  /**
   * Deep copy of a JSON value with every string redacted. A string under a secret-sounding key (`password`,
   * `apiKey`, `client_secret`, ...) is replaced whole, since `"hunter2"` alone looks like nothing. Keys are
   * kept: they are the payload's structure. Non-plain objects (dates, buffers) are returned as they are.
   */
  redactJsonValue(value: unknown): unknown {
    return this.#redactValue(value, undefined, new Set());
  }

  /**
   * The replacements `redact` would make, in order, non-overlapping. Exposed for the stream redactor, which must
   * not split text inside one of them, and which passes `mayContainBuiltin` when it already knows it (false only
   * if `text` holds no trigger; true is always safe, merely slower).
   */
  findSecrets(text: string, mayContainBuiltin = this.mayContainBuiltinSecret(text)): RedactionSpan[] {
    const direct = this.#scan(text, mayContainBuiltin);
    // No trigger as written and no operator pattern: nothing to find on screen either (a trigger split by a
    // colour code, `AK\e[1mIA…`, is the one thing this misses).
    if (!mayContainBuiltin && this.#customPatterns.length === 0) return direct;
    // Terminal output may colour part of a word that is a secret (`DB_\e[31mPASSWORD\e[0m=…`, grep highlighting
    // `AKIA`): it is also read as it shows on screen, the sequences inside words taken out. Both readings count,
    // since taking them out can also join a secret to the next word (`AKIA…EXAMPLE\e[0mxyz`), so that only the
    // text as written shows it.
    const plain = withoutGluedEscapes(text);
    if (plain === undefined) return direct;
    // Added: every match on screen (of each pattern, so no match hides another) that a sequence interrupts and
    // whose text as written holds its trigger. Anything else reads the same either way, and so the result for a
    // part of the text never depends on what lies elsewhere (the stream redactor relies on that).
    const hidden = this.#everyMatch(plain.text, mayContainBuiltin).flatMap((found) => {
      const span = inOriginal(found, plain);
      // Longer as written: a sequence was taken out inside it.
      const interrupted = span.end - span.start > found.end - found.start;
      const written = text.slice(span.start, span.end);
      return interrupted && (this.#customNames.has(span.name) || this.mayContainBuiltinSecret(written))
        ? [span]
        : [];
    });
    if (hidden.length === 0) return direct;
    return mergeOverlapping([...direct, ...hidden]);
  }

  /** Every match of every pattern, each pattern on its own (they may overlap one another). */
  #everyMatch(text: string, mayContainBuiltin: boolean): RedactionSpan[] {
    const patterns = mayContainBuiltin ? this.#patterns : this.#customPatterns;
    const spans: RedactionSpan[] = [];
    for (const pattern of patterns) {
      for (let from = 0; ; ) {
        const match = nextNonEmptyMatch(pattern.regex, text, from);
        if (match === null) break;
        const span = spanOf(pattern.name, match);
        spans.push(span);
        from = span.end;
      }
    }
    return spans;
  }

  /** The secrets in `text` as written, one pass over all patterns (see the class comment). */
  #scan(text: string, mayContainBuiltin: boolean): RedactionSpan[] {
    const patterns = mayContainBuiltin ? this.#patterns : this.#customPatterns;
    const spans: RedactionSpan[] = [];
    if (patterns.length === 0) return spans;
    // Each pattern's next match at or after `from`; a match found earlier stays valid while it starts at or
    // after `from`, so each pattern scans the text about once in total.
    const upcoming: (RegExpExecArray | null | undefined)[] = new Array(patterns.length);
    let from = 0;
    for (;;) {
      let best: RegExpExecArray | undefined;
      let bestPattern: ActivePattern | undefined;
      for (const [i, pattern] of patterns.entries()) {
        let match = upcoming[i];
        if (match === undefined || (match !== null && match.index < from)) {
          match = nextNonEmptyMatch(pattern.regex, text, from);
          upcoming[i] = match;
        }
        if (match === null) continue;
        if (
          best === undefined ||
          match.index < best.index ||
          (match.index === best.index && match[0].length > best[0].length)
        ) {
          best = match;
          bestPattern = pattern;
        }
      }
      if (best === undefined || bestPattern === undefined) return mergeOverlapping(spans);
      const span = spanOf(bestPattern.name, best);
      spans.push(span);
      const { start, end, secretStart, secretEnd } = span;
      // A value followed by an assignment operator may itself be (or end in) the key of the next secret
      // (`token = aws_secret_access_key = …`, `password = Sup3r-Secret : ok`): the scan goes on from the value,
      // and overlapping finds become one. Only then: resuming inside every long value would make it quadratic.
      from =
        secretStart > start && OPERATOR_AFTER_VALUE.test(text.slice(secretEnd, secretEnd + 64))
          ? secretStart
          : end;
    }
  }

  #redactValue(value: unknown, key: string | undefined, ancestors: Set<object>): unknown {
    if (typeof value === "string") {
      if (key !== undefined && value.length > 0 && SECRET_KEY_NAME.test(key)) {
        return redactionMarker("secret_assignment");
      }
      return this.redact(value);
    }
    if (typeof value !== "object" || value === null) return value;
    // A cycle cannot come from JSON, but a crash here would lose the whole record.
    if (ancestors.has(value)) return "[Circular]";
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => this.#redactValue(item, undefined, ancestors));
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return value;
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) copy[k] = this.#redactValue(v, k, ancestors);
      return copy;
    } finally {
      ancestors.delete(value);
    }
  }
}

/**
 * `text[from, to)` with the secret of every span replaced. A span whose secret began before `from` (the stream
 * redactor emitted that part already) gets a marker for its rest. `spans` come from `findSecrets`: sorted and
 * non-overlapping.
 */
export function withSecretsReplaced(
  text: string,
  spans: readonly RedactionSpan[],
  from = 0,
  to = text.length,
): string {
  let out = "";
  let copied = from;
  for (const span of spans) {
    if (span.secretEnd <= from) continue;
    const start = Math.max(span.secretStart, from);
    out += text.slice(copied, start) + replacementOf(text, span, start);
    copied = span.secretEnd;
  }
  return out + text.slice(copied, to);
}

/**
 * What replaces `text[from, span.secretEnd)` (`from` is the span's secret start, or later when the start was
 * emitted already): the marker, then the escape sequences that were inside, so colours and cursor state after
 * the secret stay as the harness set them.
 */
function replacementOf(text: string, span: RedactionSpan, from: number): string {
  return redactionMarker(span.name) + escapeSequencesIn(text.slice(from, span.secretEnd));
}

/** A match as a span: the whole match, and its `secret…` group (or the whole match when it has none). */
function spanOf(name: string, match: RegExpExecArray): RedactionSpan {
  const start = match.index;
  const end = start + match[0].length;
  const [secretStart, secretEnd] = secretRange(match) ?? [start, end];
  return { name, start, end, secretStart, secretEnd };
}

/** A span found in the plain view, in the original's indices; escape sequences inside it belong to it. */
function inOriginal(span: RedactionSpan, plain: PlainTextView): RedactionSpan {
  const start = (index: number) => plain.original(index);
  const end = (index: number) => plain.original(index - 1) + 1;
  return {
    name: span.name,
    start: start(span.start),
    end: end(span.end),
    secretStart: start(span.secretStart),
    secretEnd: end(span.secretEnd),
  };
}

/** Sorted, with overlapping spans joined into one that covers both (and both secrets, and what lies between). */
function mergeOverlapping(spans: RedactionSpan[]): RedactionSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: RedactionSpan[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last === undefined || span.start >= last.end) {
      merged.push(span);
      continue;
    }
    merged[merged.length - 1] = {
      name: last.name,
      start: last.start,
      end: Math.max(last.end, span.end),
      secretStart: Math.min(last.secretStart, span.secretStart),
      secretEnd: Math.max(last.secretEnd, span.secretEnd),
    };
  }
  return merged;
}

/** A global, indices-enabled, non-sticky copy, so `exec` can scan from any position and report group ranges. */
function scanningCopy(regex: RegExp): RegExp {
  let flags = regex.flags.replace("y", "");
  if (!flags.includes("g")) flags += "g";
  if (!flags.includes("d")) flags += "d";
  return new RegExp(regex.source, flags);
}

/** Empty matches (an operator pattern like `x*`) would redact nothing and never advance; skip them. */
function nextNonEmptyMatch(regex: RegExp, text: string, from: number): RegExpExecArray | null {
  let at = from;
  while (at <= text.length) {
    regex.lastIndex = at;
    const match = regex.exec(text);
    if (match === null || match[0].length > 0) return match;
    at = match.index + 1;
  }
  return null;
}

/** The range of the first `secret…` named group that took part in the match, if the pattern has one. */
function secretRange(match: RegExpExecArray): [number, number] | undefined {
  const groups = match.indices?.groups;
  if (groups === undefined) return undefined;
  for (const [name, range] of Object.entries(groups)) {
    if (name.startsWith("secret") && range !== undefined) return range;
  }
  return undefined;
}
