import { PRIVATE_KEY_BLOCK_SOURCE, UNFINISHED_PRIVATE_KEY } from "./pem.js";
import { mergedAlternation } from "./trigger.js";

/**
 * A built-in secret shape. The redactor replaces a match with `[REDACTED:<name>]`; when the regex has named
 * groups whose names start with `secret` (one per alternative, since a name may appear only once), only the
 * group that took part is replaced and the rest of the match (a key name, `Bearer `, quotes) is kept.
 */
export interface SecretPattern {
  readonly name: string;
  /** Global, with match indices (`d`) so the `secret` group can be located. */
  readonly regex: RegExp;
  /**
   * Only for shapes whose match can contain whitespace (a keyword, a space, then the value): matches, at the
   * very end of a text, a beginning of this shape that more text could still complete. The stream redactor
   * holds such a tail back; shapes without whitespace need no help, since it holds any unfinished word anyway.
   */
  readonly unfinished?: RegExp;
  /**
   * For token shapes: matches, at the very end of a text, the token's fixed beginning and what may follow it,
   * so a token that more characters could still complete (`AKIAIOSF`, typed a key at a time). The stream
   * redactor waits longer before letting such a tail out. A word that merely contains a trigger (`task_list`,
   * `Asia`, `tokenizer`) matches neither this nor `unfinished`, so it is let out as quickly as any other word.
   */
  readonly partial?: RegExp;
  /**
   * A regex source (matched case-insensitively) that every match of this shape, and every unfinished tail,
   * contains. Text with none of the triggers cannot hold a built-in secret, so the redactor skips the full scan:
   * most terminal output has none, and this keeps redaction far cheaper than the PTY it reads.
   */
  readonly trigger: string;
}

/*
 * How these stay fast: every pattern first looks ahead for its fixed beginning (`sk-`, `AKIA`, a key name), so
 * the lookbehinds that follow run only there; a boundary then lets a token start only at the start of a word;
 * and no quantified group can match the same text in two ways, so a failed attempt costs at most one scan of
 * the word it started in. `regex-safety.test.ts` checks this on hostile input.
 */

/**
 * Not inside a terminal escape sequence: not right after `ESC`, `ESC` + intermediates, or `ESC [` + parameters
 * and intermediates. A sequence is one unit, so no secret begins in it (`ESC [ 5 t` + `oken=` is no `token=`);
 * the stream redactor relies on this when it splits text after a sequence.
 */
const NOT_IN_ESCAPE = String.raw`(?<!\x1b|\x1b[ -/]+|\x1b\[[0-?]*[ -/]*)`;

/**
 * Where a token may start: not glued to a preceding letter or digit (so `task-...` is no `sk-` key), except right
 * after a terminal escape sequence such as `\x1b[32m`, which colored output puts directly before a token; and
 * not inside an escape sequence. `lead` is the token's fixed beginning, checked first: lookbehinds at every
 * position of a long run of digits or spaces would make a scan quadratic.
 */
export function tokenStart(lead: string, alsoNotAfter = ""): string {
  return (
    String.raw`(?=${lead})(?:(?<![A-Za-z0-9${alsoNotAfter}])|(?<=\x1b(?:\[[0-?]*[ -/]*[@-~]|[0-Z\x5c-~])))` +
    NOT_IN_ESCAPE
  );
}

/**
 * Keys whose assigned value is a secret, matched case-insensitively. Any prefix is allowed: `DB_PASSWORD`,
 * `accessToken`, `client_secret`.
 */
export const SECRET_KEYS =
  "passw(?:or)?d|secret(?:[_-]?key)?|token|api[_-]?key|access[_-]?key|private[_-]?key|authorization";

/**
 * Terminal colour codes (with `;` or `:` parameters) and erase-in-line, which grep puts around what it highlights:
 * they may sit between a key, its separator and the value.
 */
const SGR = String.raw`\x1b\[[0-9;:]*[mK]`;
/**
 * In an unfinished tail: a colour code, or one still arriving at the very end (`ESC`, `ESC [ 3`). The partial form
 * only at the end, so its digits are never also the start of a value (that ambiguity made a tail quadratic).
 */
const SGR_OR_PARTIAL = String.raw`\x1b(?:\[[0-9;:]*(?:[mK]|$)|$)`;

/** An auth scheme before the value (`Authorization: Basic xyz`) is kept, so the redacted part is the credential. */
const SCHEME = String.raw`(?:(?:basic|token)[ \t]+)?`;

/**
 * Values left to other patterns or alone: type names and literals, so code such as `password: string` or
 * `token = null` stays readable; `Bearer <token>`, which `bearer_token` names; and a PEM block, which
 * `private_key` handles whole (it spans lines, an assignment does not).
 */
const NOT_A_SECRET =
  String.raw`(?!-----BEGIN|bearer(?:${SGR})*[ \t]|` +
  "(?:string|number|boolean|null|undefined|none|nil|true|false|any)(?![A-Za-z0-9_])|" +
  // Placeholders, quoted or not: `api_key: ${API_KEY}`, `PASSWORD: "${DB_PASSWORD}"`, `token=$(cat token.txt)`.
  String.raw`\$[{(])`;

/**
 * For unquoted values only: code, not a value (`token = await fetchToken()`, `password = self.password`,
 * `api_key=os.getenv("KEY")`, a variable of the same name as in `self.token = token`). A quoted value is a
 * literal whatever it reads like: `password = "new hunter2"` is a password.
 */
const NOT_CODE =
  String.raw`(?!(?:await|new|yield|typeof)[ \t]|(?:this|self)\.|(?:function|lambda)(?=[ \t(:])|` +
  String.raw`(?:os|process|getpass|env|config|settings)\.|` +
  String.raw`(?:${SECRET_KEYS})(?=[\s;,)\]}"'\x60]|$))`;

/** An unquoted value ends at whitespace, a quote, a list or query separator, or a control character. */
const BARE_VALUE_CHAR = String.raw`[^\s"'\x60,;&\x00-\x1f\x7f-\x9f]`;

/**
 * `key = value`, `key: "value"`, `"key": 'value'`, `key => value`, `key := value`; not `key == value`. The key,
 * separator and quotes are kept; a quoted value may contain spaces and runs to its closing quote or the end of
 * the line (an unclosed quote still hides what follows it).
 */
function assignment(name: string, keys: string): SecretPattern {
  // Colour codes may stand around the operator (`\e[33mapi_key\e[0m = \e[32m"…"`), as highlighters put them.
  const head = String.raw`(?=${keys})${NOT_IN_ESCAPE}(?:${keys})["'\x60]?(?:${SGR}|[ \t])*(?:=>|:=|[:=])(?!=)[ \t]*(?:${SGR}[ \t]*)*`;
  const value =
    String.raw`(?:"${SCHEME}${NOT_A_SECRET}(?<secretDouble>[^"\r\n]+)` +
    String.raw`|'${SCHEME}${NOT_A_SECRET}(?<secretSingle>[^'\r\n]+)` +
    String.raw`|\x60${SCHEME}${NOT_A_SECRET}(?<secretBacktick>[^\x60\r\n]+)` +
    // A bare value ending in a separator is the next key (`password: api_key: "..."`), not a value: taken whole
    // (a lookahead capture cannot backtrack) and refused, so the scan finds that next assignment instead. Base64
    // padding is no separator: eight or more base64 characters before one or two `=` end a value, unless they
    // spell a key name (`password= api_secret= "..."`).
    `|${SCHEME}${NOT_A_SECRET}${NOT_CODE}(?=(?<secret>${BARE_VALUE_CHAR}+))\\k<secret>` +
    `(?:(?<![:=])|(?<=[A-Za-z0-9+/_-]{8}={1,2})(?<!(?:${SECRET_KEYS})={1,2})))`;
  const unfinishedValue = String.raw`(?:"[^"\r\n]*|'[^'\r\n]*|\x60[^\x60\r\n]*|${SCHEME}${BARE_VALUE_CHAR}*)`;
  return {
    name,
    trigger: keys,
    regex: new RegExp(head + value, "gdi"),
    unfinished: new RegExp(
      String.raw`(?=${keys})${NOT_IN_ESCAPE}(?:${keys})["'\x60]?(?:${SGR_OR_PARTIAL}|[ \t])*(?:(?:=>|:=|[:=])[ \t]*(?:${SGR_OR_PARTIAL}[ \t]*)*${unfinishedValue})?$`,
      "i",
    ),
  };
}

/**
 * A pattern that starts like a token (see `tokenStart`). `lead` is how every match begins, for the cheap check;
 * `body` is the whole token; `continues` the characters that may follow `lead` in it, or `partialBody` what may
 * begin it once its trigger is there (for `partial`).
 */
function token(
  name: string,
  lead: string,
  body: string,
  opts: { notAfter?: string; trigger?: string; continues?: string; partialBody?: string } = {},
): SecretPattern {
  const start = tokenStart(lead, opts.notAfter);
  const partialBody = opts.partialBody ?? (opts.continues ? `(?:${lead})${opts.continues}*` : undefined);
  return {
    name,
    trigger: opts.trigger ?? lead,
    regex: new RegExp(start + body, "gd"),
    ...(partialBody ? { partial: new RegExp(`${start}${partialBody}$`) } : {}),
  };
}

/** Allowed in a bearer token (RFC 6750 b64token). */
const B64TOKEN = "[A-Za-z0-9._~+/-]";

/**
 * Order matters only when two patterns match at the same position with the same length: the earlier one names
 * the redaction (so an `sk-ant-` key is reported as Anthropic, not OpenAI).
 */
export const BUILTIN_PATTERNS: readonly SecretPattern[] = [
  {
    name: "private_key",
    trigger: "-----BEGIN",
    regex: new RegExp(`(?=-----BEGIN )${NOT_IN_ESCAPE}${PRIVATE_KEY_BLOCK_SOURCE}`, "gd"),
    unfinished: UNFINISHED_PRIVATE_KEY,
  },
  token("anthropic_api_key", "sk-ant-", "sk-ant-[A-Za-z0-9_-]{20,}", { continues: "[A-Za-z0-9_-]" }),
  // Covers legacy `sk-<48>` keys and project/service-account keys (`sk-proj-...`, `sk-svcacct-...`).
  token("openai_api_key", "sk-", "sk-[A-Za-z0-9_-]{20,}", { continues: "[A-Za-z0-9_-]" }),
  token(
    "github_token",
    "gh[pousr]_|github_pat_",
    "(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
    { continues: "[A-Za-z0-9_]" },
  ),
  token("gitlab_token", "glpat-", "glpat-[A-Za-z0-9_.-]{20,}", { continues: "[A-Za-z0-9_.-]" }),
  token("slack_token", "xox|xapp-", "(?:xox[baprs]|xapp)-[A-Za-z0-9-]{10,}", { continues: "[A-Za-z0-9-]" }),
  // An incoming webhook's URL is its credential.
  token(
    "slack_webhook",
    "https://hooks\\.slack\\.com/",
    "https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
    { continues: "[A-Za-z0-9_/-]" },
  ),
  token("npm_token", "npm_", "npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])", { continues: "[A-Za-z0-9]" }),
  token("huggingface_token", "hf_", "hf_[A-Za-z0-9]{30,}", { continues: "[A-Za-z0-9]" }),
  token("stripe_key", "[sr]k_", "[sr]k_(?:live|test)_[A-Za-z0-9]{16,}", { continues: "[A-Za-z0-9_]" }),
  token("google_api_key", "AIza", "AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])", { continues: "[A-Za-z0-9_-]" }),
  token("aws_access_key_id", "A[KS]IA", "(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", {
    continues: "[A-Z0-9]",
  }),
  assignment("aws_secret_access_key", "aws_?secret_?access_?key"),
  // header.payload.signature, both JSON parts base64url of `{"`. Not after `_`/`-` either, so a long run of
  // token characters is tried once, not at every `eyJ` inside it.
  token("jwt", "eyJ", String.raw`eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`, {
    notAfter: "_-",
    continues: "[A-Za-z0-9_.-]",
  }),
  {
    // The token must look random: a digit, an uppercase letter after the first, or 24+ characters. So prose
    // like "Bearer authentication" is left alone. Case is spelled out: the check relies on [A-Z].
    ...token(
      "bearer_token",
      "[Bb]earer|BEARER",
      // A colour code may come before the token, as after an assignment's operator.
      String.raw`(?:[Bb]earer|BEARER)(?:${SGR})*[ \t]+(?:${SGR}[ \t]*)*(?<secret>` +
        `(?:(?=[A-Za-z._~+/-]*[0-9])|(?=${B64TOKEN}+[A-Z])|(?=${B64TOKEN}{24}))${B64TOKEN}{8,}=*)`,
    ),
    unfinished: new RegExp(
      String.raw`${tokenStart("bearer")}bearer[ \t]*(?:${SGR_OR_PARTIAL}[ \t]*)*${B64TOKEN}*=*$`,
      "i",
    ),
  },
  // scheme://user:password@host — the password only.
  token(
    "url_password",
    "[A-Za-z]",
    String.raw`[A-Za-z][A-Za-z0-9+.-]*://[^\s:@/\x00-\x1f\x7f-\x9f]*:(?<secret>[^\s@/\x00-\x1f\x7f-\x9f]+)@`,
    {
      notAfter: "+.-",
      trigger: "://",
      // Until an `@` or a `/`, what follows `://` may still turn out to be `user:password@`.
      partialBody: String.raw`[A-Za-z][A-Za-z0-9+.-]*://[^\s@/\x00-\x1f\x7f-\x9f]*`,
    },
  ),
  assignment("secret_assignment", SECRET_KEYS),
];

/** Matches wherever any built-in pattern could match (see `SecretPattern.trigger`). */
export const BUILTIN_TRIGGER = mergedAlternation(BUILTIN_PATTERNS.map((p) => p.trigger));

/** Names a redaction of an operator-supplied pattern. */
export const CUSTOM_PATTERN_NAME = "custom";

/** The text that replaces a secret. */
export function redactionMarker(name: string): string {
  return `[REDACTED:${name}]`;
}
