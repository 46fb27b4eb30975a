import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";

/**
 * `$COVEN_HOME/privacy.toml`, all keys optional:
 *
 *   log_retention_days = 30              # how long stored output is kept
 *   extra_patterns = ["corp-[0-9a-f]{32}"] # JS regex sources, redacted as [REDACTED:custom]
 *
 * Mistakes fail loudly at startup rather than leaving secrets unredacted or logs kept for the wrong time.
 */

export interface PrivacyConfig {
  logRetentionDays: number;
  /** Compiled with the `g` flag. */
  extraPatterns: RegExp[];
  /** The file the settings came from, or null when there is none. */
  source: string | null;
}

export const PRIVACY_CONFIG_FILE = "privacy.toml";
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const LOG_RETENTION_ENV = "COVEN_LOG_RETENTION_DAYS";

/** A bad privacy setting. The message starts with where it came from: `<file>: <key>: <problem>`. */
export class PrivacyConfigError extends Error {
  /** The file path, or the environment variable name. */
  readonly source: string;
  /** The offending key (`extra_patterns[1]`), or null when the file as a whole is unreadable. */
  readonly key: string | null;

  constructor(source: string, key: string | null, problem: string) {
    super(key === null ? `${source}: ${problem}` : `${source}: ${key}: ${problem}`);
    this.name = "PrivacyConfigError";
    this.source = source;
    this.key = key;
  }
}

export function loadPrivacyConfig(covenHome: string, env: NodeJS.ProcessEnv = process.env): PrivacyConfig {
  const path = join(covenHome, PRIVACY_CONFIG_FILE);
  const table = readTable(path);
  const config: PrivacyConfig = {
    logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
    extraPatterns: [],
    source: table === undefined ? null : path,
  };

  for (const [key, value] of Object.entries(table ?? {})) {
    switch (key) {
      case "log_retention_days":
        config.logRetentionDays = retentionDaysFromToml(value, path);
        break;
      case "extra_patterns":
        config.extraPatterns = compilePatterns(value, path);
        break;
      default:
        throw new PrivacyConfigError(path, key, "unknown key (expected log_retention_days, extra_patterns)");
    }
  }

  const fromEnv = env[LOG_RETENTION_ENV];
  // An empty variable counts as unset, as shells make it easy to export one by accident.
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!/^[0-9]+$/.test(fromEnv) || !isPositiveSafeInteger(Number(fromEnv))) {
      throw new PrivacyConfigError(
        LOG_RETENTION_ENV,
        null,
        `must be a positive integer, got ${JSON.stringify(fromEnv)}`,
      );
    }
    config.logRetentionDays = Number(fromEnv);
  }
  return config;
}

/** The parsed file, or undefined when it does not exist. */
function readTable(path: string): Record<string, unknown> | undefined {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PrivacyConfigError(path, null, `cannot read: ${(error as Error).message}`);
  }
  try {
    // Integers as BigInt, so `30` and `30.0` can be told apart.
    return parse(content, { integersAsBigInt: true });
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "";
      throw new PrivacyConfigError(
        path,
        null,
        `invalid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      );
    }
    throw error;
  }
}

function retentionDaysFromToml(value: unknown, path: string): number {
  const days = typeof value === "bigint" ? Number(value) : Number.NaN;
  if (!isPositiveSafeInteger(days)) {
    throw new PrivacyConfigError(
      path,
      "log_retention_days",
      `must be a positive integer, got ${describe(value)}`,
    );
  }
  return days;
}

function compilePatterns(value: unknown, path: string): RegExp[] {
  if (!Array.isArray(value)) {
    throw new PrivacyConfigError(
      path,
      "extra_patterns",
      `must be an array of strings, got ${describe(value)}`,
    );
  }
  return value.map((source: unknown, i) => {
    const key = `extra_patterns[${i}]`;
    if (typeof source !== "string") {
      throw new PrivacyConfigError(path, key, `must be a string, got ${describe(source)}`);
    }
    if (source === "") throw new PrivacyConfigError(path, key, "must not be empty");
    try {
      return new RegExp(source, "g");
    } catch (error) {
      // V8 says "Invalid regular expression: /src/g: reason"; keep the part after its own prefix.
      const reason = (error as Error).message.replace(/^Invalid regular expression: /, "");
      throw new PrivacyConfigError(path, key, `invalid regular expression: ${reason}`);
    }
  });
}

function isPositiveSafeInteger(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (value !== null && typeof value === "object") return "a table";
  return String(value);
}
