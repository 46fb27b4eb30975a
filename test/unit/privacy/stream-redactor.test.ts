import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import { StreamRedactor } from "../../../server/privacy/stream-redactor.js";
import * as S from "./secret-samples.js";

/**
 * Fixed so CI is repeatable; set FC_SEED to explore other inputs (a failing seed is printed by fast-check and
 * becomes a regression case).
 */
const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261126);

const redactor = new Redactor();

/** Pushes each chunk, then flushes; returns every emitted piece (the last one from the flush). */
function stream(chunks: string[], opts?: { maxHoldChars?: number }): string[] {
  const s = new StreamRedactor(redactor, opts);
  const pieces = chunks.map((chunk) => s.push(chunk));
  pieces.push(s.flush());
  return pieces;
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(text.slice(last, p));
    last = p;
  }
  chunks.push(text.slice(last));
  return chunks;
}

describe("StreamRedactor: secrets split across writes", () => {
  it("never emits the two halves of an AWS key id", () => {
    const pieces = stream(["export AWS_ACCESS_KEY_ID=AKIAIOSF", "ODNN7EXAMPLE\n"]);
    expect(pieces.join("")).toBe("export AWS_ACCESS_KEY_ID=[REDACTED:aws_access_key_id]\n");
    for (const piece of pieces) expect(piece).not.toMatch(/AKIA|ODNN7/);
    // Nothing waits once the line is complete.
    expect(pieces.at(-1)).toBe("");
  });

  it("holds `Bearer ` until its token arrives", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("curl -H 'Authorization: Bearer ")).toBe("curl -H 'Authorization: ");
    expect(s.holding).toBe(true);
    expect(s.push(S.BEARER_TOKEN.slice(0, 12))).toBe("");
    expect(s.push(`${S.BEARER_TOKEN.slice(12)}' https://api.example.com\n`)).toBe(
      "Bearer [REDACTED:bearer_token]' https://api.example.com\n",
    );
    expect(s.holding).toBe(false);
    expect(s.flush()).toBe("");
  });

  it("holds a PEM block spread over three chunks until its END line", () => {
    const text = `key follows\n${S.PRIVATE_KEY}\ndone\n`;
    const third = Math.floor(text.length / 3);
    const chunks = [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
    const pieces = stream(chunks);
    expect(pieces).toEqual(["key follows\n", "", "[REDACTED:private_key]\ndone\n", ""]);
    for (const fragment of S.secretFragments(S.PRIVATE_KEY)) {
      for (const piece of pieces) expect(piece).not.toContain(fragment.slice(0, 16));
    }
  });

  it("holds a keyword and separator waiting for the value", () => {
    expect(stream(["password ", "= ", "hunter2", "\n"])).toEqual([
      "",
      "",
      "",
      "password = [REDACTED:secret_assignment]\n",
      "",
    ]);
    expect(stream(['db_password="correct horse', ' battery" ok\n'])).toEqual([
      "",
      'db_password="[REDACTED:secret_assignment]" ok\n',
      "",
    ]);
  });

  it("does not split a complete secret that straddles a word break", () => {
    // `abc` is a whole value (it ends at the comma), yet the last word break is after `= `.
    expect(stream(["token = abc,de", "f\n"])).toEqual(["", "token = [REDACTED:secret_assignment],def\n", ""]);
  });

  it("handles a token glued to a colour escape sequence", () => {
    const pieces = stream(["\x1b[32m", S.OPENAI_KEY.slice(0, 9), S.OPENAI_KEY.slice(9), "\x1b[0m\n"]);
    expect(pieces.join("")).toBe("\x1b[32m[REDACTED:openai_api_key]\x1b[0m\n");
    expect(pieces[0]).toBe("\x1b[32m");
  });
});

describe("StreamRedactor: secrets coloured partway", () => {
  const grepHighlighted = `\x1b[01;31m\x1b[KAKIA\x1b[m\x1b[K${S.AWS_ACCESS_KEY_ID.slice(4)}`;

  it("redacts a key name coloured apart from its value, and keeps the colour codes", () => {
    const text = `export DB_\x1b[31mPASSWORD\x1b[0m=${S.PASSWORD}\n`;
    expect(redactor.redact(text)).toBe("export DB_\x1b[31mPASSWORD\x1b[0m=[REDACTED:secret_assignment]\n");
    expect(stream([text]).join("")).toBe(redactor.redact(text));
  });

  it("redacts a token highlighted partway (grep --color), in one write and split at every point", () => {
    const text = `config.env:1:${grepHighlighted}\n`;
    // The whole key goes; the codes that were inside it follow the marker, so the terminal's state is as before.
    expect(redactor.redact(text)).toBe(
      "config.env:1:\x1b[01;31m\x1b[K[REDACTED:aws_access_key_id]\x1b[m\x1b[K\n",
    );
    for (let cut = 0; cut <= text.length; cut += 1) {
      const pieces = stream([text.slice(0, cut), text.slice(cut)]);
      expect(pieces.join("")).toBe(redactor.redact(text));
      for (const piece of pieces) expect(piece).not.toContain("IOSFODNN7");
    }
  });

  it("holds a coloured word that may begin a secret when the write ends with its colour code", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("match: \x1b[01;31m\x1b[KAKIA\x1b[m\x1b[K")).toBe("match: \x1b[01;31m\x1b[K");
    expect(s.holdingPossibleSecret).toBe(true);
    expect(s.push(`${S.AWS_ACCESS_KEY_ID.slice(4)}\n`)).toBe("[REDACTED:aws_access_key_id]\x1b[m\x1b[K\n");
  });

  it("holds a keyword when a colour code for its value is still arriving", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("Authorization: Bearer \x1b[3")).toBe("Authorization: ");
    expect(s.push(`3m${S.BEARER_TOKEN}\x1b[0m\n`)).toBe("Bearer \x1b[33m[REDACTED:bearer_token]\x1b[0m\n");
  });

  it("keeps a word that colour codes end as context, for a write that continues it on screen", () => {
    const text = "url \x1b[01;31m\x1b[Khttps\x1b[m\x1b[K://deploy:hunter2xyz@example.com\n";
    expect(redactor.redact(text)).toContain("deploy:[REDACTED:url_password]@");
    for (let cut = 0; cut <= text.length; cut += 1) {
      const pieces = stream([text.slice(0, cut), text.slice(cut)]);
      expect(pieces.join("")).toBe(redactor.redact(text));
    }
  });

  it("does not take the space of an escape sequence (ESC [ SP q) for the start of a word", () => {
    const text = `${S.GITLAB_TOKEN}\x1b[ q_\x1bhunter2-hB\n`;
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(stream([text.slice(0, cut), text.slice(cut)]).join("")).toBe(redactor.redact(text));
    }
  });

  it("still holds a token after a word longer than the hold limit coloured letter by letter", () => {
    const rainbow = Array.from({ length: 900 }, (_, i) => `a\x1b[3${i % 7}m`).join("");
    const token = S.GITHUB_TOKENS[0]!;
    const pieces = stream([`${rainbow}\x1b[0m${token.slice(0, 10)}`, `${token.slice(10)}\n`]);
    const emitted = pieces.join("");
    expect(emitted).toContain("[REDACTED:github_token]");
    expect(emitted).not.toContain(token.slice(10));
  });

  it("never keeps part of an escape sequence as context (ESC [ 3 P ends one; PASSWORD is no key here)", () => {
    const text = "\x1b[3PASSWORD:\x1b[01;31m\x1b[K[";
    expect(stream([text]).join("")).toBe(redactor.redact(text));
    expect(redactor.redact(text)).toBe(text);
  });

  it("never keeps the tail of an escape sequence cut short as context", () => {
    const text = `\x1b[3\x1b[m\x1b[K${S.OPENAI_KEY}\x1b[m\x1b[Kaa`;
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(stream([text.slice(0, cut), text.slice(cut)]).join("")).toBe(redactor.redact(text));
    }
  });

  it("still emits an ordinary coloured word ending a write at once", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("build \x1b[32mpassed\x1b[0m")).toBe("build \x1b[32mpassed\x1b[0m");
    expect(s.push(" ok\x1b[1mdone\x1b[0m")).toBe(" ok\x1b[1mdone\x1b[0m");
  });

  it("does not read through window titles or other string sequences", () => {
    const text = `${S.AWS_ACCESS_KEY_ID.slice(0, 4)}\x1b]0;title\x07${S.AWS_ACCESS_KEY_ID.slice(4)}`;
    expect(redactor.redact(text)).toBe(text);
  });
});

describe("StreamRedactor: latency", () => {
  it("emits text ending in whitespace after complete words at once", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("hello world\n")).toBe("hello world\n");
    expect(s.push(`key ${S.AWS_ACCESS_KEY_ID} `)).toBe("key [REDACTED:aws_access_key_id] ");
    expect(s.push("password=hunter2\n")).toBe("password=[REDACTED:secret_assignment]\n");
    expect(s.push("\x1b[2K\x1b[1G$ ")).toBe("\x1b[2K\x1b[1G$ ");
    expect(s.holding).toBe(false);
  });

  it("emits up to a complete escape sequence at the end of a write", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("done\x1b[0m")).toBe("done\x1b[0m");
    expect(s.push("x\x1b[")).toBe("");
    expect(s.push("0m")).toBe("x\x1b[0m");
  });

  it("holds only the unfinished last word", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("first line\nsecond wo")).toBe("first line\nsecond ");
    expect(s.holding).toBe(true);
    expect(s.holdingPossibleSecret).toBe(false);
    expect(s.flush()).toBe("wo");
    expect(s.holding).toBe(false);
  });

  it("says when what it holds could be the start of a secret (its owner then waits longer to flush)", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push(["typed: ghp", "Xq7v"].join("_"))).toBe("typed: ");
    expect(s.holdingPossibleSecret).toBe(true);
    expect(s.push("B2mK9pL4nR8sT1wY6zA3cE5gH0jUab12\n")).toBe("[REDACTED:github_token]\n");
    expect(s.holding).toBe(false);
    expect(s.holdingPossibleSecret).toBe(false);
    s.push("export DB_PASSWORD=hun");
    expect(s.holdingPossibleSecret).toBe(true);
  });

  it("reads a word let out a keystroke at a time whole: a token begun waits, a word with a trigger inside does not", () => {
    const typed = (word: string) => {
      const s = new StreamRedactor(redactor);
      s.push("$ ");
      for (const key of word.slice(0, -1)) {
        s.push(key);
        s.flush(); // quiet after each key, as when a person types
      }
      s.push(word.at(-1) as string);
      return s.holdingPossibleSecret;
    };
    for (const begun of ["AKIAIOSF", "ghp_Xq7v", "sk-proj-ab", "xoxb-12", "eyJhbGci", "DB_PASSWORD=hu"]) {
      expect(typed(begun), begun).toBe(true);
    }
    expect(typed("Bearer"), "Bearer").toBe(true);
    expect(typed("https://user:pa"), "a URL's credentials").toBe(true);
    for (const ordinary of [
      "task_list",
      "work_dir",
      "Asia",
      "tokenizer",
      "ask-me",
      "https://github.com/acme",
    ]) {
      expect(typed(ordinary), ordinary).toBe(false);
    }
  });
});

describe("StreamRedactor: flush and the hold limit", () => {
  it("after a flush mid-secret, still replaces the rest of the secret", () => {
    const s = new StreamRedactor(redactor);
    expect(s.push("Authorization: Bearer ")).toBe("Authorization: ");
    expect(s.flush()).toBe("Bearer ");
    expect(s.push(S.BEARER_TOKEN.slice(0, 10))).toBe("");
    expect(s.flush()).toBe("[REDACTED:bearer_token]");
    expect(s.push(`${S.BEARER_TOKEN.slice(10)}\n`)).toBe("[REDACTED:bearer_token]\n");
  });

  it("after a flush inside a PEM block, redacts the rest of the block", () => {
    const lines = S.PRIVATE_KEY.split("\n");
    const s = new StreamRedactor(redactor);
    const out = [
      s.push(`${lines.slice(0, 3).join("\n")}\n`),
      s.flush(),
      s.push(`${lines.slice(3).join("\n")}\nafter\n`),
      s.flush(),
    ];
    expect(out).toEqual(["", "[REDACTED:private_key]\n", "[REDACTED:private_key]\nafter\n", ""]);
  });

  it("emits a word longer than maxHoldChars rather than holding it forever", () => {
    const s = new StreamRedactor(redactor, { maxHoldChars: 16 });
    expect(s.push("a".repeat(10))).toBe("");
    expect(s.push("a".repeat(10))).toBe("a".repeat(20));
    expect(s.holding).toBe(false);
  });

  it("inside a word longer than maxHoldChars, still holds a token that follows a delimiter", () => {
    // Minified JSON: no whitespace for thousands of characters, then a key id split across two writes.
    const head = `{"blob":"${"A".repeat(5000)}","id":"${S.AWS_ACCESS_KEY_ID.slice(0, 12)}`;
    const pieces = stream([head, `${S.AWS_ACCESS_KEY_ID.slice(12)}"}\n`]);
    expect(pieces.join("")).toBe(`{"blob":"${"A".repeat(5000)}","id":"[REDACTED:aws_access_key_id]"}\n`);
    for (const piece of pieces) expect(piece).not.toContain(S.AWS_ACCESS_KEY_ID.slice(0, 8));
  });

  it("never cuts inside a colour code to find that break (a token glued to it stays whole)", () => {
    const password = ["Pa55", "w0rd"].join("");
    const pieces = stream([`${"x".repeat(5000)}\x1b[1;32`, `mhttps://u:${password}@`, "host done\n"]);
    expect(pieces.join("")).not.toContain(password);
    expect(pieces.join("")).toContain("[REDACTED:url_password]");
  });

  it("keeps a private key longer than maxHoldChars redacted through its END line", () => {
    const key = S.privateKeyBlock("PRIVATE KEY", 60, 7);
    const text = `start\n${key}\nend line\n`;
    const chunks = splitAt(
      text,
      Array.from({ length: 40 }, (_, i) => i * 97),
    );
    const pieces = stream(chunks, { maxHoldChars: 1000 });
    expect(pieces.join("")).toBe("start\n[REDACTED:private_key]\nend line\n");
  });

  it("returns to normal after a long key that is cut short", () => {
    const lines = S.privateKeyBlock("PRIVATE KEY", 30, 9).split("\n").slice(0, -1);
    const pieces = stream([...lines.map((l) => `${l}\n`), "$ ls\n", "README.md\n"], { maxHoldChars: 500 });
    expect(pieces.join("")).toBe("[REDACTED:private_key]\n$ ls\nREADME.md\n");
  });

  it("rejects a bad maxHoldChars", () => {
    expect(() => new StreamRedactor(redactor, { maxHoldChars: 0 })).toThrow(RangeError);
    expect(() => new StreamRedactor(redactor, { maxHoldChars: 1.5 })).toThrow(RangeError);
  });
});

/** Secrets as they appear in output, each paired with the fragments that must never be emitted. */
const SECRET_SNIPPETS: { text: string; fragments: string[] }[] = [
  ...[
    S.OPENAI_KEY,
    S.OPENAI_LEGACY_KEY,
    S.ANTHROPIC_KEY,
    ...S.GITHUB_TOKENS,
    S.GITHUB_PAT,
    S.GITLAB_TOKEN,
    ...S.SLACK_TOKENS,
    S.STRIPE_SECRET_KEY,
    S.STRIPE_RESTRICTED_KEY,
    S.GOOGLE_API_KEY,
    S.AWS_ACCESS_KEY_ID,
    S.AWS_SESSION_KEY_ID,
    S.JWT,
  ].map((secret) => ({ text: secret, fragments: [secret] })),
  { text: `Authorization: Bearer ${S.BEARER_TOKEN}`, fragments: [S.BEARER_TOKEN] },
  { text: `aws_secret_access_key = ${S.AWS_SECRET_ACCESS_KEY}`, fragments: [S.AWS_SECRET_ACCESS_KEY] },
  { text: `password=${S.PASSWORD}`, fragments: [S.PASSWORD] },
  { text: `api_key: "${S.PASSWORD} two words"`, fragments: [S.PASSWORD] },
  { text: `https://deploy:${S.PASSWORD}@example.com/repo`, fragments: [S.PASSWORD] },
  { text: `\x1b[33m${S.GITLAB_TOKEN}\x1b[0m`, fragments: [S.GITLAB_TOKEN] },
  // Coloured partway, as highlighting does: the redactor reads through the colour codes.
  { text: `DB_\x1b[31mPASSWORD\x1b[0m=${S.PASSWORD}`, fragments: [S.PASSWORD] },
  { text: `Authorization: Bearer \x1b[33m${S.BEARER_TOKEN}\x1b[0m`, fragments: [S.BEARER_TOKEN] },
  {
    text: `\x1b[01;31m\x1b[K${S.AWS_ACCESS_KEY_ID.slice(0, 4)}\x1b[m\x1b[K${S.AWS_ACCESS_KEY_ID.slice(4)}`,
    fragments: [S.AWS_ACCESS_KEY_ID.slice(4)],
  },
  {
    text: `${S.GITHUB_PAT.slice(0, 12)}\x1b[1m${S.GITHUB_PAT.slice(12)}\x1b[0m`,
    fragments: [S.GITHUB_PAT.slice(12)],
  },
  { text: `\n${S.PRIVATE_KEY}\n`, fragments: S.secretFragments(S.PRIVATE_KEY) },
];

/** Ordinary output, including keywords and punctuation that could start or end a secret. */
const WORDS = [
  "hello",
  "world",
  "$",
  "ls -la",
  "password",
  "token",
  "Bearer",
  "sk-",
  "AKIA",
  "=",
  ":",
  ",",
  '"',
  "(done)",
  "12345",
  "eyJ",
  "-----",
  "\x1b[1m",
  "\x1b[0m",
  "\x1b]0;title\x07",
];
const SEPARATORS = [" ", " ", "\n", "\r\n", "\t", ", "];

const textWithSecrets = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
      { weight: 1, arbitrary: fc.constantFrom(...SECRET_SNIPPETS.map((_, i) => i)) },
    ),
    { minLength: 1, maxLength: 40 },
  )
  .chain((items) =>
    fc
      .array(fc.constantFrom(...SEPARATORS), { minLength: items.length, maxLength: items.length })
      .map((seps) => {
        let text = "";
        const fragments: string[] = [];
        items.forEach((item, i) => {
          if (typeof item === "number") {
            const snippet = SECRET_SNIPPETS[item]!;
            // Secrets stand apart from their neighbours, as they do in real output.
            text += ` ${snippet.text}${seps[i]} `;
            fragments.push(...snippet.fragments);
          } else {
            text += item + seps[i];
          }
        });
        return { text, fragments };
      }),
  );

describe("StreamRedactor: property", () => {
  it("emits exactly redact(whole text), with no secret in any split", () => {
    fc.assert(
      fc.property(textWithSecrets, fc.array(fc.nat(), { maxLength: 30 }), ({ text, fragments }, cuts) => {
        const pieces = stream(splitAt(text, cuts));
        const emitted = pieces.join("");
        expect(emitted).toBe(redactor.redact(text));
        for (const fragment of fragments) expect(emitted).not.toContain(fragment);
      }),
      { numRuns: 500, seed: PROPERTY_SEED },
    );
  });

  it("matches the one-shot redactor when fed one character at a time", () => {
    fc.assert(
      fc.property(textWithSecrets, ({ text, fragments }) => {
        const emitted = stream([...text]).join("");
        expect(emitted).toBe(redactor.redact(text));
        for (const fragment of fragments) expect(emitted).not.toContain(fragment);
      }),
      { numRuns: 100, seed: PROPERTY_SEED },
    );
  });
});

/** Pieces that stress the split logic: escape sequences, keywords, separators, halves of secrets. */
const HOSTILE_ATOMS = [
  ...[
    "a",
    "Z",
    "0",
    " ",
    "\n",
    "\r",
    "\t",
    "=",
    ":",
    '"',
    "'",
    "`",
    ",",
    "-",
    "_",
    ".",
    "/",
    "@",
    "\\n",
    "\u00a0",
  ],
  ...["\x1b", "[", "m", "\x1b[0m", "\x1b7", "\x1b[5t", "\x1b[ q", "\x1b(B", "\x1b]0;t\x07", "\x9b", "é"],
  ...["\x1b[01;31m\x1b[K", "\x1b[m\x1b[K", "\x1b[3", "DB_", "PASSWORD", "IOSFODNN7EXAMPLE"],
  ...["password", "token", "oken=", "ecret: ", "pi_key", " = ", "Basic ", "Bearer ", "https://", "u:p@"],
  ...["sk-", "AKIA", "eyJ", "ghp_", "xoxb-", "AIza", S.GITLAB_TOKEN.slice(0, 8)],
  ...["-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "\nMIIEowIBAAKCAQEA0"],
  ...["-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----", "AAAA", "Proc-Type: 4,ENCRYPTED"],
  ...[S.BEARER_TOKEN, S.AWS_ACCESS_KEY_ID, S.OPENAI_KEY, S.JWT],
];

describe("StreamRedactor: property on hostile input", () => {
  it("still emits exactly redact(whole text)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...HOSTILE_ATOMS), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (atoms, cuts) => {
          const text = atoms.join("");
          expect(stream(splitAt(text, cuts)).join("")).toBe(redactor.redact(text));
        },
      ),
      { numRuns: 2000, seed: PROPERTY_SEED },
    );
  });
});
