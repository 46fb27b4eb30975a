import { describe, expect, it } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import * as S from "./secret-samples.js";

describe("Redactor", () => {
  it("returns text without secrets unchanged", () => {
    const redactor = new Redactor();
    expect(redactor.redact("")).toBe("");
    expect(redactor.redact("plain output\n")).toBe("plain output\n");
  });

  it("reads through colour codes inside a secret, and keeps them after the marker", () => {
    const redactor = new Redactor();
    const key = S.AWS_ACCESS_KEY_ID;
    expect(redactor.redact(`${key.slice(0, 4)}\x1b[1m${key.slice(4)}\x1b[0m: found`)).toBe(
      "[REDACTED:aws_access_key_id]\x1b[1m\x1b[0m: found",
    );
    // A colour code between `Bearer` and the token, as between an assignment and its value.
    expect(redactor.redact(`Authorization: Bearer \x1b[33m${S.BEARER_TOKEN}\x1b[0m`)).toBe(
      "Authorization: Bearer \x1b[33m[REDACTED:bearer_token]\x1b[0m",
    );
    // grep --color=always Bearer, and a reset between `Bearer` and its token.
    expect(redactor.redact(`Authorization: \x1b[01;31m\x1b[KBearer\x1b[m\x1b[K ${S.BEARER_TOKEN}`)).toBe(
      "Authorization: \x1b[01;31m\x1b[KBearer\x1b[m\x1b[K [REDACTED:bearer_token]",
    );
    expect(redactor.redact(`Authorization: Bearer\x1b[0m ${S.BEARER_TOKEN}`)).toBe(
      "Authorization: Bearer\x1b[0m [REDACTED:bearer_token]",
    );
    // Both readings count: a key glued to the next word by a colour code is still a key as written.
    expect(redactor.redact(`${key}\x1b[0mxyz`)).toBe("[REDACTED:aws_access_key_id]\x1b[0mxyz");
  });

  it("redacts every occurrence", () => {
    const redactor = new Redactor();
    expect(redactor.redact(`${S.AWS_ACCESS_KEY_ID} ${S.AWS_ACCESS_KEY_ID}\n${S.AWS_ACCESS_KEY_ID}`)).toBe(
      "[REDACTED:aws_access_key_id] [REDACTED:aws_access_key_id]\n[REDACTED:aws_access_key_id]",
    );
  });

  it("applies operator patterns as [REDACTED:custom]", () => {
    const redactor = new Redactor([/corp-[0-9a-f]{8}/g, /internal\.example\.com/]);
    expect(redactor.redact("id corp-deadbeef at internal.example.com, key corp-0badf00d")).toBe(
      "id [REDACTED:custom] at [REDACTED:custom], key [REDACTED:custom]",
    );
  });

  it("keeps the operator pattern's flags and honours a `secret` group", () => {
    const redactor = new Redactor([/employee id: (?<secret>\d+)/gi]);
    expect(redactor.redact("Employee ID: 12345.")).toBe("Employee ID: [REDACTED:custom].");
  });

  it("still applies built-ins alongside operator patterns", () => {
    const redactor = new Redactor([/corp-[0-9a-f]{8}/g]);
    expect(redactor.redact(`corp-deadbeef ${S.GITLAB_TOKEN}`)).toBe(
      "[REDACTED:custom] [REDACTED:gitlab_token]",
    );
  });

  it("ignores empty matches of operator patterns instead of looping", () => {
    const redactor = new Redactor([/x*/g]);
    expect(redactor.redact("abc xx def")).toBe("abc [REDACTED:custom] def");
  });

  it("is not confused by a previous call (patterns are stateful regexes)", () => {
    const redactor = new Redactor();
    const text = `a ${S.STRIPE_SECRET_KEY} b`;
    expect(redactor.redact(text)).toBe("a [REDACTED:stripe_key] b");
    expect(redactor.redact(text)).toBe("a [REDACTED:stripe_key] b");
  });

  it("reports the spans it replaces", () => {
    const text = `x token=abc y ${S.AWS_ACCESS_KEY_ID}`;
    expect(new Redactor().findSecrets(text)).toEqual([
      { name: "secret_assignment", start: 2, end: 11, secretStart: 8, secretEnd: 11 },
      { name: "aws_access_key_id", start: 14, end: 34, secretStart: 14, secretEnd: 34 },
    ]);
  });
});

describe("Redactor.redactJsonValue", () => {
  const redactor = new Redactor();

  it("deep-redacts strings in objects and arrays without touching the input", () => {
    const input = {
      command: `curl -H "Authorization: Bearer ${S.BEARER_TOKEN}"`,
      env: [`GITHUB_TOKEN=${S.GITHUB_TOKENS[0]}`, "HOME=/home/me"],
      nested: { deeper: [{ note: `key ${S.OPENAI_KEY}` }] },
      count: 3,
      ok: true,
      nothing: null,
    };
    const snapshot = structuredClone(input);
    expect(redactor.redactJsonValue(input)).toEqual({
      command: 'curl -H "Authorization: Bearer [REDACTED:bearer_token]"',
      env: ["GITHUB_TOKEN=[REDACTED:secret_assignment]", "HOME=/home/me"],
      nested: { deeper: [{ note: "key [REDACTED:openai_api_key]" }] },
      count: 3,
      ok: true,
      nothing: null,
    });
    expect(input).toEqual(snapshot);
  });

  it("replaces string values under secret-sounding keys whatever they look like", () => {
    expect(
      redactor.redactJsonValue({
        password: "hunter2",
        apiKey: "abc",
        client_secret: "x",
        accessToken: "y",
        max_tokens: 100,
        tokenizer: "bpe",
        password_hint: "pet name",
        token: "",
      }),
    ).toEqual({
      password: "[REDACTED:secret_assignment]",
      apiKey: "[REDACTED:secret_assignment]",
      client_secret: "[REDACTED:secret_assignment]",
      accessToken: "[REDACTED:secret_assignment]",
      max_tokens: 100,
      tokenizer: "bpe",
      password_hint: "pet name",
      token: "",
    });
  });

  it("redacts top-level strings and passes other scalars through", () => {
    expect(redactor.redactJsonValue(S.GOOGLE_API_KEY)).toBe("[REDACTED:google_api_key]");
    expect(redactor.redactJsonValue(42)).toBe(42);
    expect(redactor.redactJsonValue(undefined)).toBeUndefined();
  });

  it("survives cycles", () => {
    const looped: Record<string, unknown> = { note: S.AWS_ACCESS_KEY_ID };
    looped.self = looped;
    expect(redactor.redactJsonValue(looped)).toEqual({
      note: "[REDACTED:aws_access_key_id]",
      self: "[Circular]",
    });
  });
});
