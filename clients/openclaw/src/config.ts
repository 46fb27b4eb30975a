import os from "node:os";
import path from "node:path";

/** ACP agent ids (what OpenClaw asks for) → Coven harness ids (what the daemon runs), unless configured. */
export const DEFAULT_HARNESSES: Readonly<Record<string, string>> = Object.freeze({
  codex: "codex",
  "openai-codex": "codex",
  "codex-cli": "codex",
  claude: "claude",
  "claude-cli": "claude",
});

/** The daemon refuses prompts longer than this (contract: `prompt` ≤ 256 KiB). */
export const MAX_PROMPT_BYTES = 256 * 1024;
const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
const MAX_EVENT_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_TURN_OUTPUT_BYTES = 16 * 1024 * 1024;
const MAX_TURN_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Agent ids are matched case-insensitively (OpenClaw lowercases them); harness ids follow the daemon's. */
const AGENT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HARNESS_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BACKEND_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_HARNESS_ENTRIES = 256;
const MAX_PATH_LENGTH = 4096;

export interface CovenPluginConfig {
  /** Absolute, normalized COVEN_HOME. */
  covenHome: string;
  /** Always `<covenHome>/coven.sock`. */
  socketPath: string;
  /** Lowercased ACP agent id → Coven harness id (defaults merged with the configured entries). */
  harnesses: Readonly<Record<string, string>>;
  allowFallback: boolean;
  /** The ACP backend id to delegate to when the daemon is not running (only with `allowFallback`). */
  fallbackBackend: string | undefined;
  maxPromptBytes: number;
  maxEventBytes: number;
  maxTurnOutputBytes: number;
}

/** A plugin configuration that cannot be used; the message names the offending key. */
export class CovenConfigError extends Error {
  constructor(message: string) {
    super(`opencoven-coven config: ${message}`);
    this.name = "CovenConfigError";
  }
}

/**
 * The JSON Schema of the plugin's config (also in `openclaw.plugin.json`, which OpenClaw validates before the
 * plugin loads; `test/unit/config.test.ts` checks the two agree). `resolveConfig` re-validates regardless.
 */
export const CONFIG_JSON_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    covenHome: {
      type: "string",
      minLength: 1,
      maxLength: MAX_PATH_LENGTH,
      description: "The Coven daemon's home (COVEN_HOME). Absolute, or starting with ~/. Default: ~/.coven",
    },
    socketPath: {
      type: "string",
      minLength: 1,
      maxLength: MAX_PATH_LENGTH,
      description: "Optional; must resolve to exactly <covenHome>/coven.sock (the daemon's only socket).",
    },
    harnesses: {
      type: "object",
      maxProperties: MAX_HARNESS_ENTRIES,
      description:
        "Extra ACP agent ids mapped to Coven harness ids, on top of codex/openai-codex/codex-cli → codex and claude/claude-cli → claude. Any other agent id is refused.",
      propertyNames: { pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
      additionalProperties: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
    },
    allowFallback: {
      type: "boolean",
      default: false,
      description:
        "When the Coven daemon is not running, hand sessions to fallbackBackend instead of failing. Never used when the socket fails the trust checks or the daemon is incompatible.",
    },
    fallbackBackend: {
      type: "string",
      pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
      description: "ACP backend id to fall back to (for example acpx); required when allowFallback is true.",
    },
    maxPromptBytes: { type: "integer", minimum: 1, maximum: MAX_PROMPT_BYTES },
    maxEventBytes: { type: "integer", minimum: 1024, maximum: MAX_EVENT_BYTES },
    maxTurnOutputBytes: { type: "integer", minimum: 1024, maximum: MAX_TURN_OUTPUT_BYTES },
  },
} as const;

const KNOWN_KEYS = new Set(Object.keys(CONFIG_JSON_SCHEMA.properties));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `~` and `~/x` expand to the user's home; anything else must already be absolute. */
function absolutePath(value: string, key: string, homeDir: string): string {
  if (value.includes("\0")) throw new CovenConfigError(`${key} must not contain NUL bytes.`);
  const expanded =
    value === "~" ? homeDir : value.startsWith("~/") ? path.join(homeDir, value.slice(2)) : value;
  if (!path.isAbsolute(expanded))
    throw new CovenConfigError(`${key} must be an absolute path (or start with ~/).`);
  return path.resolve(expanded);
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_PATH_LENGTH) {
    throw new CovenConfigError(`${key} must be a non-empty string of at most ${MAX_PATH_LENGTH} characters.`);
  }
  return value.trim();
}

function boundedInteger(
  raw: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  fallback: number,
) {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new CovenConfigError(`${key} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function resolveHarnesses(value: unknown): Record<string, string> {
  const harnesses: Record<string, string> = { ...DEFAULT_HARNESSES };
  if (value === undefined || value === null) return harnesses;
  if (!isRecord(value)) throw new CovenConfigError("harnesses must be an object of agent id → harness id.");
  const entries = Object.entries(value);
  if (entries.length > MAX_HARNESS_ENTRIES) {
    throw new CovenConfigError(`harnesses may name at most ${MAX_HARNESS_ENTRIES} agent ids.`);
  }
  for (const [agentId, harness] of entries) {
    const agent = agentId.toLowerCase();
    if (!AGENT_ID.test(agent)) {
      throw new CovenConfigError(`harnesses: ${JSON.stringify(agentId)} is not a valid ACP agent id.`);
    }
    if (typeof harness !== "string" || !HARNESS_ID.test(harness)) {
      throw new CovenConfigError(`harnesses.${agentId} must be a Coven harness id ([A-Za-z0-9._-], 1-64).`);
    }
    harnesses[agent] = harness;
  }
  return harnesses;
}

/**
 * Validates the plugin's config (`plugins.entries.opencoven-coven.config`) and fills in defaults. Unknown keys
 * are refused (fail closed), so a typo such as `sockPath` cannot silently fall back to a default.
 */
export function resolveConfig(raw: unknown, options: { homeDir?: string } = {}): CovenPluginConfig {
  const homeDir = options.homeDir ?? os.homedir();
  if (raw === undefined || raw === null) raw = {};
  if (!isRecord(raw)) throw new CovenConfigError("the config must be an object.");
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) throw new CovenConfigError(`unknown key ${JSON.stringify(key)}.`);
  }
  const home = optionalString(raw, "covenHome");
  const covenHome = absolutePath(home ?? "~/.coven", "covenHome", homeDir);
  if (covenHome === path.parse(covenHome).root)
    throw new CovenConfigError("covenHome must not be the root directory.");
  const socketPath = path.join(covenHome, "coven.sock");
  const socketOverride = optionalString(raw, "socketPath");
  if (socketOverride !== undefined && absolutePath(socketOverride, "socketPath", homeDir) !== socketPath) {
    throw new CovenConfigError(
      `socketPath must be exactly ${socketPath} (<covenHome>/coven.sock); set covenHome to move the socket.`,
    );
  }
  const allowFallback = raw.allowFallback ?? false;
  if (typeof allowFallback !== "boolean") throw new CovenConfigError("allowFallback must be true or false.");
  const fallback = optionalString(raw, "fallbackBackend")?.toLowerCase();
  if (fallback !== undefined && !BACKEND_ID.test(fallback)) {
    throw new CovenConfigError("fallbackBackend must be an ACP backend id ([a-z0-9._-], 1-64).");
  }
  if (fallback === "coven") throw new CovenConfigError("fallbackBackend cannot be coven itself.");
  if (allowFallback && fallback === undefined) {
    throw new CovenConfigError("allowFallback is true but no fallbackBackend is named.");
  }
  return {
    covenHome,
    socketPath,
    harnesses: Object.freeze(resolveHarnesses(raw.harnesses)),
    allowFallback,
    fallbackBackend: allowFallback ? fallback : undefined,
    maxPromptBytes: boundedInteger(raw, "maxPromptBytes", 1, MAX_PROMPT_BYTES, MAX_PROMPT_BYTES),
    maxEventBytes: boundedInteger(raw, "maxEventBytes", 1024, MAX_EVENT_BYTES, DEFAULT_MAX_EVENT_BYTES),
    maxTurnOutputBytes: boundedInteger(
      raw,
      "maxTurnOutputBytes",
      1024,
      MAX_TURN_OUTPUT_BYTES,
      DEFAULT_MAX_TURN_OUTPUT_BYTES,
    ),
  };
}

/** The Coven harness for an ACP agent id, or undefined when the agent is not allowed. */
export function harnessForAgent(config: CovenPluginConfig, agent: string): string | undefined {
  const key = agent.trim().toLowerCase();
  if (!AGENT_ID.test(key)) return undefined;
  return Object.hasOwn(config.harnesses, key) ? config.harnesses[key] : undefined;
}
