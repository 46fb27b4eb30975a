/**
 * Plain text from terminal output, for log previews and chat: what a person would read, without the control
 * sequences that move the cursor, set colours or titles, or could be used to spoof what a reader sees.
 */

/**
 * Everything `stripTerminalControls` removes, as one alternation so the text is scanned once. Unterminated
 * sequences (cut off by the end of a preview) are removed up to the end of the text.
 */
const TERMINAL_CONTROL = new RegExp(
  [
    // OSC (ESC ] or C1 0x9D), e.g. window titles and hyperlinks: up to BEL or ST (ESC \ or C1 0x9C).
    String.raw`(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?`,
    // DCS, SOS, PM, APC (ESC P / X / ^ / _ or C1 0x90, 0x98, 0x9E, 0x9F): up to ST.
    String.raw`(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?`,
    // CSI (ESC [ or C1 0x9B): parameters, intermediates, one final byte.
    String.raw`(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?`,
    // Other escape sequences: ESC, optional intermediates (charset designations like ESC ( B), a final byte.
    String.raw`\x1b[ -/]*[0-~]?`,
    // CRLF becomes LF (handled in the replacer); then any other C0 control but tab and LF, DEL, and C1 controls.
    String.raw`\r\n`,
    String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f]`,
  ].join("|"),
  "g",
);

/**
 * The escape sequences that can sit inside a word on screen: complete CSI sequences (colours, cursor moves, erase
 * in line: `ESC [ params intermediates final`) and two-character escapes (`ESC 7`), but not the introducers of
 * longer ones (`ESC [`, `ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _`). Strings (OSC titles and links, DCS) end in a
 * control character, which separates words anyway.
 */
const INLINE_ESCAPE_SOURCE = String.raw`\x1b\[[0-?]*[ -/]*[@-~]|\x1b[0-OQ-WYZ\\\x60-~]`;
const INLINE_ESCAPE = new RegExp(INLINE_ESCAPE_SOURCE, "g");
/** The start of an escape sequence cut short (`ESC [ 3` then another `ESC`): what follows is no word of it. */
const UNFINISHED_ESCAPE = String.raw`\x1b\[[0-?]*[ -/]*|\x1b[ -/]*`;
/** The punctuation secrets are made of, beside letters and digits (`-` last, so it stays literal in a class). */
export const TOKEN_PUNCTUATION = "_+/=.:@%~-";
/**
 * Characters secrets are made of (tokens, keys, URLs, assignments): a colour code between two of them may be
 * inside a secret. Between anything else (a quote, a bracket, a space) it separates what it colours.
 */
const TOKEN_CHAR = `[A-Za-z0-9${TOKEN_PUNCTUATION}]`;
/**
 * A run of inline escape sequences inside a word: a token character on both sides (`DB_\e[31mPASSWORD`,
 * `AKIA\e[m\e[KIOSF…`). A run next to whitespace or punctuation (`build \e[32mpassed\e[0m `,
 * `\e[1;39m{\e[0m\e[34;1m"key"`) separates nothing. Not a run that starts after another sequence, or after one
 * cut short (`ESC [ 3` then `ESC`).
 */
const GLUED_ESCAPES = new RegExp(
  // `(?=\x1b)` first: the look-behinds then run only where a sequence starts, so the scan stays linear.
  `(?=\x1b)(?<=${TOKEN_CHAR})(?<!${INLINE_ESCAPE_SOURCE}|${UNFINISHED_ESCAPE})(?:${INLINE_ESCAPE_SOURCE})+(?=${TOKEN_CHAR})`,
  "g",
);

/** A text with the escape sequences inside its words taken out, and where each character is in the original. */
export interface PlainTextView {
  readonly text: string;
  /** The original index of `text[index]`; `index === text.length` maps to the original's length. */
  original(index: number): number;
}

/**
 * `text` as it reads on a terminal, without the escape sequences (colours, cursor moves) inside its words:
 * `DB_\e[31mPASSWORD` reads `DB_PASSWORD`. Undefined when `text` has none (the common case, found without
 * building anything).
 */
export function withoutGluedEscapes(text: string): PlainTextView | undefined {
  if (!text.includes("\x1b")) return undefined;
  const plain = text.replace(GLUED_ESCAPES, "");
  if (plain.length === text.length) return undefined;
  // The map back is built only when asked for: most texts are read and found to hold nothing.
  let removals: { cuts: number[]; shifts: number[] } | undefined;
  return {
    text: plain,
    original(index) {
      removals ??= removalsIn(text);
      const { cuts, shifts } = removals;
      // The last removal at or before `index` (a character at a cut comes after the sequence removed there).
      let low = 0;
      let high = cuts.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((cuts[mid] as number) <= index) low = mid + 1;
        else high = mid;
      }
      return index + (low === 0 ? 0 : (shifts[low - 1] as number));
    },
  };
}

/** Removal k of a glued run happened at plain index cuts[k]; shifts[k] is all removed up to and with it. */
function removalsIn(text: string): { cuts: number[]; shifts: number[] } {
  const cuts: number[] = [];
  const shifts: number[] = [];
  let removed = 0;
  for (const match of text.matchAll(GLUED_ESCAPES)) {
    cuts.push(match.index - removed);
    removed += match[0].length;
    shifts.push(removed);
  }
  return { cuts, shifts };
}

/** The inline escape sequences in `text`, in order, without the text between them. */
export function escapeSequencesIn(text: string): string {
  if (!text.includes("\x1b")) return "";
  let out = "";
  for (const match of text.matchAll(INLINE_ESCAPE)) out += match[0];
  return out;
}

/** Removes ANSI/VT escape sequences and control characters; keeps `\n` and `\t`, turns `\r\n` into `\n`. */
export function stripTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROL, (match) => (match === "\r\n" ? "\n" : ""));
}

/**
 * Unicode bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), and the
 * LRM, RLM and ALM marks. They can make text display in a different order than it is stored ("Trojan Source").
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Removes Unicode bidi override, embedding, isolate and mark characters. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROL, "");
}
