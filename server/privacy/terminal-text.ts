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
