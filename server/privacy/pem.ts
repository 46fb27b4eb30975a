/**
 * The shape of a PEM private-key block, shared by the one-shot pattern (`patterns.ts`) and the stream redactor,
 * which has to know when a chunk boundary falls inside a block.
 *
 *   -----BEGIN RSA PRIVATE KEY-----
 *   Proc-Type: 4,ENCRYPTED            (optional headers)
 *   MIIEowIBAAKCAQEA...               (base64 body lines)
 *   -----END RSA PRIVATE KEY-----
 *
 * Only private keys are matched: certificates and public keys are not secrets, and redacting them would hide
 * useful output.
 */

/** The label between `BEGIN ` and the dashes: `PRIVATE KEY`, `RSA PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, ... */
const LABEL = "(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?";

/** A line break: a real one, or the two characters `\n` of a key pasted into a JSON string. */
const BREAK = String.raw`(?:\r?\n|\\n)`;

/** One body line (base64 or a `Name: value` header). A base64 line must end at a break, so a prose word is not one. */
const BODY_LINE = String.raw`(?:[A-Za-z0-9+/=]+(?=[\r\n]|\\n|$)|[A-Za-z][A-Za-z-]*:[^\r\n]*)`;

/** Any number of body lines, each after a break; blank lines are allowed between them (encrypted keys have one). */
const BODY = String.raw`(?:(?:${BREAK}[ \t]*)+${BODY_LINE})*`;

/**
 * Longest distance searched for the END line. A 16384-bit RSA key is about 12 KiB of PEM; the bound keeps a
 * stray BEGIN line from pairing with an END line far away and swallowing everything between them.
 */
const MAX_BLOCK_CHARS = 16_384;

/** Any character, up to the next BEGIN line: a block never contains another, and the scan for END stops there. */
const NOT_NEXT_BEGIN = String.raw`(?:(?!-----BEGIN )[\s\S])`;

/**
 * A whole block, BEGIN through the END line with the same label; or, when no END line follows (a truncated key,
 * or one still arriving), the BEGIN line plus the body lines after it, so the key material is still covered.
 */
export const PRIVATE_KEY_BLOCK_SOURCE =
  `-----BEGIN (?<label>${LABEL})-----` +
  String.raw`(?:${NOT_NEXT_BEGIN}{0,${MAX_BLOCK_CHARS}}?-----END \k<label>-----|${BODY})`;

/**
 * At the end of a text: a block that has begun but whose END line has not arrived, or a BEGIN line still being
 * written. The stream redactor holds such a tail back instead of emitting half a key.
 */
export const UNFINISHED_PRIVATE_KEY = new RegExp(
  String.raw`-----BEGIN(?:[ A-Z0-9]*-{0,5}|[ ](?<label>${LABEL})-----(?:(?!-----END \k<label>-----)[\s\S])*)$`,
);

/**
 * True when a text ends inside a block, with nothing but key material after the BEGIN line: the redactor has
 * replaced the block up to the end of this text, so whatever comes next may be the rest of the key.
 */
export const ENDS_INSIDE_PRIVATE_KEY = new RegExp(
  String.raw`-----BEGIN ${LABEL}-----${BODY}(?:${BREAK}[ \t]*)*$`,
);

/**
 * The rest of a block whose beginning was already emitted (as a redaction marker): the remainder of the current
 * body line, then further body lines. Always matches, possibly the empty string.
 */
export const PRIVATE_KEY_CONTINUATION = new RegExp(String.raw`^(?:[A-Za-z0-9+/=]+(?=[\r\n]|\\n|$))?${BODY}`);

/** The END line of a block, possibly after blank lines. */
export const PRIVATE_KEY_END = new RegExp(String.raw`^(?:${BREAK}[ \t]*)*-----END ${LABEL}-----`);

/** Text that may still grow into the END line (line breaks, then part of `-----END ...-----`). */
export const PARTIAL_PRIVATE_KEY_END =
  /^(?:\r?\n|\\n|[ \t])*(?:\r|\\)?(?:-{1,5}(?:E(?:N(?:D(?: [A-Z0-9 ]*-{0,5})?)?)?)?)?$/;
