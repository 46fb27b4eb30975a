import { tokenStart } from "./patterns.js";
import { type NamedPattern, Redactor } from "./redactor.js";

/** A secret found in what was typed into a session: its pattern's name and its raw value. */
export interface TypedSecret {
  readonly name: string;
  readonly value: string;
}

/**
 * The shortest beginning of a typed secret that is masked where output echoes it: longer than most triggers
 * (`sk-`, `ghp`), which are let out while typed anyway, so that unrelated words are not masked for sharing them.
 */
const MIN_ECHOED_PREFIX = 4;

/**
 * The longest beginning of a typed secret matched character by character. Each character nests one group in the
 * pattern, and V8's regex compiler aborts the process (out of memory, not an exception) somewhere between 2,048
 * and 4,096 of them: a pasted private key, or a long unfinished word, would take the daemon down. Keys are far
 * shorter; an echo that runs this far into a secret is masked to the end of its non-space run.
 */
const MAX_ECHOED_CHARS = 256;

const REGEXP_SYNTAX = /[.*+?^${}()|[\]\\/-]/g;

/**
 * Matches, where a token may start (see `tokenStart`), any beginning of `value` at least MIN_ECHOED_PREFIX
 * characters long, the longest there is. Undefined for a value shorter than that.
 */
function echoPattern({ name, value }: TypedSecret): NamedPattern | undefined {
  const chars = Array.from(value, (char) => char.replace(REGEXP_SYNTAX, "\\$&"));
  if (chars.length < MIN_ECHOED_PREFIX) return undefined;
  const head = chars.slice(0, MIN_ECHOED_PREFIX).join("");
  const last = Math.min(chars.length, MAX_ECHOED_CHARS) - 1;
  let rest = chars.length > MAX_ECHOED_CHARS ? String.raw`\S*` : "";
  for (let i = last; i >= MIN_ECHOED_PREFIX; i--) rest = `(?:${chars[i]}${rest})?`;
  return { name, regex: new RegExp(tokenStart(head) + head + rest) };
}

/**
 * Replaces in `text` every echo of a typed secret's beginning with that secret's marker. A harness that
 * repaints its whole input line on each keystroke prints `AKIAIO`, then `AKIAIOS`, and so on, each a complete
 * word that no pattern matches; one that redraws only the changed cells puts cursor moves between the
 * characters. The text is read by the redactor, as written and as it shows on screen (so escape sequences
 * between the characters hide nothing, and are kept after the marker), with all the built-in patterns too.
 */
export function maskTypedEchoes(text: string, secrets: readonly TypedSecret[]): string {
  const patterns = secrets.flatMap((secret) => echoPattern(secret) ?? []);
  return patterns.length === 0 ? text : new Redactor(patterns).redact(text);
}
