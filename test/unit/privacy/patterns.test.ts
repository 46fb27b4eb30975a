import { describe, expect, it } from "vitest";
import { BUILTIN_PATTERNS } from "../../../server/privacy/patterns.js";
import { Redactor } from "../../../server/privacy/redactor.js";
import * as S from "./secret-samples.js";

const redactor = new Redactor();
const redact = (text: string): string => redactor.redact(text);

describe("built-in patterns", () => {
  it("are global, with unique names", () => {
    for (const pattern of BUILTIN_PATTERNS) expect(pattern.regex.global, pattern.name).toBe(true);
    const names = BUILTIN_PATTERNS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([
    ["OpenAI project key", S.OPENAI_KEY, "openai_api_key"],
    ["OpenAI legacy key", S.OPENAI_LEGACY_KEY, "openai_api_key"],
    ["Anthropic key", S.ANTHROPIC_KEY, "anthropic_api_key"],
    ...S.GITHUB_TOKENS.map((t) => [`GitHub ${t.slice(0, 4)} token`, t, "github_token"]),
    ["GitHub fine-grained PAT", S.GITHUB_PAT, "github_token"],
    ["GitLab PAT", S.GITLAB_TOKEN, "gitlab_token"],
    ...S.SLACK_TOKENS.map((t) => [`Slack ${t.slice(0, 5)} token`, t, "slack_token"]),
    ["Slack app-level token", S.SLACK_APP_TOKEN, "slack_token"],
    ["Slack webhook URL", S.SLACK_WEBHOOK, "slack_webhook"],
    ["npm token", S.NPM_TOKEN, "npm_token"],
    ["Hugging Face token", S.HUGGINGFACE_TOKEN, "huggingface_token"],
    ["Stripe secret key", S.STRIPE_SECRET_KEY, "stripe_key"],
    ["Stripe restricted key", S.STRIPE_RESTRICTED_KEY, "stripe_key"],
    ["Google API key", S.GOOGLE_API_KEY, "google_api_key"],
    ["AWS access key id", S.AWS_ACCESS_KEY_ID, "aws_access_key_id"],
    ["AWS session key id", S.AWS_SESSION_KEY_ID, "aws_access_key_id"],
    ["JWT", S.JWT, "jwt"],
  ])("redacts a bare %s, wherever it sits in a line", (_label, secret, name) => {
    const marker = `[REDACTED:${name}]`;
    expect(redact(secret)).toBe(marker);
    expect(redact(`key: (${secret}), next`)).toBe(`key: (${marker}), next`);
    expect(redact(`export X=${secret}\n`)).toBe(`export X=${marker}\n`);
    expect(redact(`"${secret}"`)).toBe(`"${marker}"`);
    // Coloured terminal output glues an escape sequence to the token.
    expect(redact(`\x1b[1;32m${secret}\x1b[0m`)).toBe(`\x1b[1;32m${marker}\x1b[0m`);
  });

  it("redacts a PEM private key block from BEGIN through the matching END line", () => {
    for (const label of ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]) {
      const block = S.privateKeyBlock(label, 5, label.length);
      expect(redact(`key:\n${block}\ntrailer`)).toBe("key:\n[REDACTED:private_key]\ntrailer");
    }
  });

  it("redacts an encrypted PEM key with headers and CRLF line ends", () => {
    const block = [
      "-----BEGIN RSA PRIVATE KEY-----",
      "Proc-Type: 4,ENCRYPTED",
      "DEK-Info: AES-128-CBC,0123456789ABCDEF",
      "",
      ...S.PRIVATE_KEY.split("\n").slice(1, -1),
      "-----END RSA PRIVATE KEY-----",
    ].join("\r\n");
    expect(redact(`${block}\r\n`)).toBe("[REDACTED:private_key]\r\n");
  });

  it("redacts a PEM key pasted into a JSON string with escaped newlines", () => {
    const escaped = JSON.stringify({ private_key: `${S.PRIVATE_KEY}\n` });
    expect(redact(escaped)).toBe('{"private_key":"[REDACTED:private_key]\\n"}');
  });

  it("covers the body of a truncated PEM key that has no END line", () => {
    const truncated = S.PRIVATE_KEY.split("\n").slice(0, 4).join("\n");
    expect(redact(`${truncated}\nls -la\n`)).toBe("[REDACTED:private_key]\nls -la\n");
  });

  it("leaves certificates and public keys alone", () => {
    const cert = S.privateKeyBlock("CERTIFICATE", 3);
    const publicKey = S.privateKeyBlock("PUBLIC KEY", 3);
    expect(redact(cert)).toBe(cert);
    expect(redact(publicKey)).toBe(publicKey);
  });

  it("does not pair a private key BEGIN line with an END line of another label", () => {
    const text = "-----BEGIN RSA PRIVATE KEY-----\nnot a body line!\n-----END EC PRIVATE KEY-----";
    expect(redact(text)).toBe("[REDACTED:private_key]\nnot a body line!\n-----END EC PRIVATE KEY-----");
  });

  it("keeps the word Bearer and replaces the token", () => {
    expect(redact(`Authorization: Bearer ${S.BEARER_TOKEN}`)).toBe(
      "Authorization: Bearer [REDACTED:bearer_token]",
    );
    expect(redact(`curl -H "authorization: bearer ${S.JWT}"`)).toBe(
      'curl -H "authorization: bearer [REDACTED:bearer_token]"',
    );
    expect(redact(`BEARER\t${S.BEARER_TOKEN}==`)).toBe("BEARER\t[REDACTED:bearer_token]");
  });

  it("keeps the key name of aws_secret_access_key assignments", () => {
    expect(redact(`aws_secret_access_key = ${S.AWS_SECRET_ACCESS_KEY}`)).toBe(
      "aws_secret_access_key = [REDACTED:aws_secret_access_key]",
    );
    expect(redact(`export AWS_SECRET_ACCESS_KEY="${S.AWS_SECRET_ACCESS_KEY}"`)).toBe(
      'export AWS_SECRET_ACCESS_KEY="[REDACTED:aws_secret_access_key]"',
    );
  });

  it.each([
    ["password=hunter2", "password=[REDACTED:secret_assignment]"],
    ["PASSWORD = hunter2 # prod", "PASSWORD = [REDACTED:secret_assignment] # prod"],
    ["passwd: hunter2", "passwd: [REDACTED:secret_assignment]"],
    ["secret=abc", "secret=[REDACTED:secret_assignment]"],
    ["token=abc", "token=[REDACTED:secret_assignment]"],
    ["api_key=abc", "api_key=[REDACTED:secret_assignment]"],
    ["apikey: abc", "apikey: [REDACTED:secret_assignment]"],
    ["X-Api-Key: abc", "X-Api-Key: [REDACTED:secret_assignment]"],
    ["access_token=abc", "access_token=[REDACTED:secret_assignment]"],
    ["DB_PASSWORD=abc", "DB_PASSWORD=[REDACTED:secret_assignment]"],
    ["client_secret := abc", "client_secret := [REDACTED:secret_assignment]"],
    ["'password' => 'abc'", "'password' => '[REDACTED:secret_assignment]'"],
    ['{"accessToken":"abc","user":"me"}', '{"accessToken":"[REDACTED:secret_assignment]","user":"me"}'],
    ['password = "correct horse battery"', 'password = "[REDACTED:secret_assignment]"'],
    ["password='it is' ok", "password='[REDACTED:secret_assignment]' ok"],
    ["password=`abc`", "password=`[REDACTED:secret_assignment]`"],
    ['password="unclosed quote to end', 'password="[REDACTED:secret_assignment]'],
    [
      "https://x.io/cb?access_token=abc&state=1",
      "https://x.io/cb?access_token=[REDACTED:secret_assignment]&state=1",
    ],
    ["token=abc, user=me", "token=[REDACTED:secret_assignment], user=me"],
    ["Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED:secret_assignment]"],
    ["password=\x1b[1mhunter2\x1b[0m", "password=\x1b[1m[REDACTED:secret_assignment]\x1b[0m"],
    // grep --color's highlighting (colour and erase-in-line) around a key or after the operator.
    [
      "\x1b[01;31m\x1b[Ktoken\x1b[m\x1b[K = hunter2xyz",
      "\x1b[01;31m\x1b[Ktoken\x1b[m\x1b[K = [REDACTED:secret_assignment]",
    ],
    ["PASSWORD =\x1b[m\x1b[K hunter2xyz", "PASSWORD =\x1b[m\x1b[K [REDACTED:secret_assignment]"],
    ['api_key = \x1b[38:2:1:2:3m"hunter2xyz"', 'api_key = \x1b[38:2:1:2:3m"[REDACTED:secret_assignment]"'],
    // A highlighter's colours around the operator (TOML, INI, Python).
    [
      '\x1b[33mapi_key\x1b[0m = \x1b[32m"hunter2xyz"\x1b[0m',
      '\x1b[33mapi_key\x1b[0m = \x1b[32m"[REDACTED:secret_assignment]"\x1b[0m',
    ],
    // Base64 padding ends a value; it is no separator.
    ["token=dGhpcyBpcyBzZWNyZXQ=", "token=[REDACTED:secret_assignment]"],
    ["NEXTAUTH_SECRET=c2VjcmV0c2VjcmV0c2VjcmV0==", "NEXTAUTH_SECRET=[REDACTED:secret_assignment]"],
    ["SECRET_KEY=django-insecure-abc123", "SECRET_KEY=[REDACTED:secret_assignment]"],
    ["DJANGO_SECRET_KEY: abc123", "DJANGO_SECRET_KEY: [REDACTED:secret_assignment]"],
    ["password=new-secret-123", "password=[REDACTED:secret_assignment]"],
    ["password=newPassw0rd", "password=[REDACTED:secret_assignment]"],
    ["password=password!", "password=[REDACTED:secret_assignment]"],
    // A quoted value is a literal, whatever it reads like.
    ['password = "new hunter2"', 'password = "[REDACTED:secret_assignment]"'],
    ['PASSWORD="self.Destruct99"', 'PASSWORD="[REDACTED:secret_assignment]"'],
    ["DB_PASSWORD='config.Xy7$pass'", "DB_PASSWORD='[REDACTED:secret_assignment]'"],
    ['password: "Token"', 'password: "[REDACTED:secret_assignment]"'],
    // A padded-looking key name is the next key, not a value.
    ['password= api_secret= "hunter2"', 'password= api_secret= "[REDACTED:secret_assignment]"'],
    // A value that is the key of the next assignment: both go (found by the stream property test, seed 17).
    [`token =  aws_secret_access_key = ${S.AWS_SECRET_ACCESS_KEY}`, "token =  [REDACTED:secret_assignment]"],
    // (A bare key name is no value at all: the scan finds the assignment it starts.)
    ["token = api_key : abcdefgh", "token = api_key : [REDACTED:secret_assignment]"],
    // A value followed by a separator is still the value, whatever it ends in (and when it ends in a key word,
    // what follows goes too: over-redacting is the safe side).
    ["password = hunter2 : ok", "password = [REDACTED:secret_assignment] : ok"],
    ["password = Sup3r-Secret : ok", "password = [REDACTED:secret_assignment]"],
    ["PASSWORD = CorrectHorsePassword = x", "PASSWORD = [REDACTED:secret_assignment]"],
    [
      `aws_secret_access_key = ${S.AWS_SECRET_ACCESS_KEY}-token => x`,
      "aws_secret_access_key = [REDACTED:aws_secret_access_key]",
    ],
  ])("redacts the value of %j", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it("redacts the password of a URL, keeping user and host", () => {
    expect(redact("git clone https://me:s3cr3t@example.com/x.git")).toBe(
      "git clone https://me:[REDACTED:url_password]@example.com/x.git",
    );
    expect(redact("postgres://app:pw@db:5432/app")).toBe(
      "postgres://app:[REDACTED:url_password]@db:5432/app",
    );
  });

  it("names an sk-ant- key as Anthropic, not OpenAI", () => {
    expect(redact(S.ANTHROPIC_KEY)).toBe("[REDACTED:anthropic_api_key]");
  });

  it("redacts a secret once, under the pattern that starts first", () => {
    expect(redact(`password=${S.GITHUB_TOKENS[0]}`)).toBe("password=[REDACTED:secret_assignment]");
    expect(redact(`token: Bearer ${S.BEARER_TOKEN}`)).toBe("token: Bearer [REDACTED:bearer_token]");
  });
});

describe("normal text is left alone", () => {
  it.each([
    "The quick brown fox jumps over the lazy dog.",
    "Enter your password below. The secret is patience; tokens are counted per request.",
    "the bearer of bad news; we use Bearer authentication for the API",
    "a task-force-for-the-long-weekend-2024 and the risk-assessment-framework-v2",
    "AKIA is a prefix; AKIAIOSFODNN7EXAMPLEX is too long; akiaiosfodnn7example is lower case",
    "function login(password: string, token?: string | null): boolean",
    "const opts = { password: undefined, secret: null, token: true };",
    "if (password == other) return; if (token === expected) ok();",
    "max_tokens=4096 tokenizer=bpe secrets: read password_hint",
    "ssh git@github.com:owner/repo.git and https://example.com:8443/path",
    "eyJ alone is not a JWT, nor is eyJhbGciOiJIUzI1NiJ9 without a payload",
    "-----BEGIN CERTIFICATE----- is public",
    "PWD=/home/me HOME=/home/me",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b sha256:9f86d081884c7d659a2feaa0c55ad015",
    // Code and placeholders, which agents print all day: a call, a keyword, a variable of the same name.
    "const token = await getToken();",
    "token = new TokenSource(config)",
    "self.token = token",
    "password = self.password",
    "password = getpass.getpass()",
    'api_key=os.getenv("OPENAI_API_KEY")',
    "const secret = process.env.SECRET",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell placeholder, not a template.
    "api_key: ${API_KEY}",
    "TOKEN=$(cat ~/.token)",
    "token = lambda: 42",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose file's placeholder, not a template.
    'PASSWORD: "${DB_PASSWORD}"',
  ])("%j", (text) => {
    expect(redact(text)).toBe(text);
  });
});
