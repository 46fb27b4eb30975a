/**
 * Fake secrets for the privacy tests. Each is assembled from pieces so this file holds no secret-shaped literal
 * for a repository secret scanner to trip over; none of them is a real credential.
 */

const cat = (...parts: string[]): string => parts.join("");

/** Deterministic filler from a fixed alphabet, so samples look random without being random. */
function filler(length: number, alphabet: string, seed: number): string {
  let out = "";
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64 = `${ALNUM}+/`;
const BASE64URL = `${ALNUM}-_`;

function base64url(json: string): string {
  return Buffer.from(json).toString("base64url");
}

export const OPENAI_KEY = cat("sk-", "proj-", filler(48, `${ALNUM}-_`, 1));
export const OPENAI_LEGACY_KEY = cat("sk-", filler(48, ALNUM, 2));
export const ANTHROPIC_KEY = cat("sk-", "ant-", "api03-", filler(64, `${ALNUM}-_`, 3));
export const GITHUB_TOKENS = ["ghp", "gho", "ghu", "ghs", "ghr"].map((prefix, i) =>
  cat(prefix, "_", filler(36, ALNUM, 10 + i)),
);
export const GITHUB_PAT = cat("github", "_pat_", filler(22, ALNUM, 20), "_", filler(59, ALNUM, 21));
export const GITLAB_TOKEN = cat("gl", "pat-", filler(20, `${ALNUM}-_`, 30));
export const SLACK_TOKENS = ["b", "a", "p", "r", "s"].map((kind, i) =>
  cat("xox", kind, "-", filler(12, "0123456789", 40 + i), "-", filler(24, ALNUM, 50 + i)),
);
export const SLACK_APP_TOKEN = cat(
  "xapp",
  "-1-",
  filler(11, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 45),
  "-",
  filler(13, "0123456789", 46),
  "-",
  filler(64, "abcdef0123456789", 47),
);
export const SLACK_WEBHOOK = cat(
  "https://hooks",
  ".slack.com/services/T",
  filler(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 48),
  "/B",
  filler(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 49),
  "/",
  filler(24, ALNUM, 56),
);
export const NPM_TOKEN = cat("npm", "_", filler(36, ALNUM, 57));
export const HUGGINGFACE_TOKEN = cat("hf", "_", filler(34, ALNUM, 58));
export const STRIPE_SECRET_KEY = cat("sk", "_live_", filler(24, ALNUM, 60));
export const STRIPE_RESTRICTED_KEY = cat("rk", "_live_", filler(24, ALNUM, 61));
export const GOOGLE_API_KEY = cat("AI", "za", filler(35, BASE64URL, 70));
/** AWS's own documentation example. */
export const AWS_ACCESS_KEY_ID = cat("AKIA", "IOSFODNN7EXAMPLE");
export const AWS_SESSION_KEY_ID = cat("ASIA", filler(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 80));
/** AWS's own documentation example. */
export const AWS_SECRET_ACCESS_KEY = cat("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY");
export const BEARER_TOKEN = cat("tok", filler(29, `${ALNUM}._-`, 90), "9");
export const JWT = [
  base64url('{"alg":"HS256","typ":"JWT"}'),
  base64url('{"sub":"1234567890","name":"Fake Person","iat":1516239022}'),
  filler(43, BASE64URL, 100),
].join(".");
export const PASSWORD = cat("hunter", "2-", filler(10, ALNUM, 110));

function pemBody(lines: number, seed: number): string[] {
  return Array.from({ length: lines }, (_, i) => filler(64, BASE64, seed + i));
}

export function privateKeyBlock(label = "RSA PRIVATE KEY", lines = 8, seed = 200): string {
  return [cat("-----BEGIN ", label, "-----"), ...pemBody(lines, seed), cat("-----END ", label, "-----")].join(
    "\n",
  );
}

export const PRIVATE_KEY = privateKeyBlock();

/** The parts of each sample that must never appear in redacted output. */
export function secretFragments(secret: string): string[] {
  if (secret.startsWith("-----BEGIN")) {
    return secret.split("\n").filter((line) => !line.startsWith("-----"));
  }
  return [secret];
}
