import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPrivacyConfig, PrivacyConfigError } from "../../../server/privacy/config.js";

let home: string;
let file: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "coven-privacy-"));
  file = join(home, "privacy.toml");
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function load(toml: string | undefined, env: NodeJS.ProcessEnv = {}) {
  if (toml !== undefined) writeFileSync(file, toml);
  return loadPrivacyConfig(home, env);
}

/** The error thrown for this config, checked to be a PrivacyConfigError. */
function failure(toml: string | undefined, env: NodeJS.ProcessEnv = {}): PrivacyConfigError {
  try {
    load(toml, env);
  } catch (error) {
    expect(error).toBeInstanceOf(PrivacyConfigError);
    return error as PrivacyConfigError;
  }
  throw new Error("expected loadPrivacyConfig to throw");
}

describe("loadPrivacyConfig", () => {
  it("uses defaults when the file is absent", () => {
    expect(load(undefined)).toEqual({ logRetentionDays: 30, extraPatterns: [], source: null });
  });

  it("uses defaults for an empty file, and names it as the source", () => {
    expect(load("")).toEqual({ logRetentionDays: 30, extraPatterns: [], source: file });
  });

  it("reads retention and compiles extra patterns with the g flag", () => {
    const config = load("log_retention_days = 7\nextra_patterns = [\"corp-[0-9a-f]{8}\", '\\bACME-\\d+']\n");
    expect(config.logRetentionDays).toBe(7);
    expect(config.source).toBe(file);
    expect(config.extraPatterns.map((r) => [r.source, r.flags])).toEqual([
      ["corp-[0-9a-f]{8}", "g"],
      ["\\bACME-\\d+", "g"],
    ]);
    expect("id corp-deadbeef, ACME-42".replace(config.extraPatterns[0]!, "X")).toBe("id X, ACME-42");
  });

  it("lets COVEN_LOG_RETENTION_DAYS override the file", () => {
    expect(load(undefined, { COVEN_LOG_RETENTION_DAYS: "1" }).logRetentionDays).toBe(1);
    expect(load("log_retention_days = 7", { COVEN_LOG_RETENTION_DAYS: "90" }).logRetentionDays).toBe(90);
    // Empty counts as unset.
    expect(load("log_retention_days = 7", { COVEN_LOG_RETENTION_DAYS: "" }).logRetentionDays).toBe(7);
  });

  it.each(["0", "-3", "1.5", "ten", "1e3", " 7"])("rejects COVEN_LOG_RETENTION_DAYS=%j", (value) => {
    const error = failure(undefined, { COVEN_LOG_RETENTION_DAYS: value });
    expect(error.message).toBe(
      `COVEN_LOG_RETENTION_DAYS: must be a positive integer, got ${JSON.stringify(value)}`,
    );
  });

  it("rejects an invalid regular expression, naming the file and the array index", () => {
    const error = failure('extra_patterns = ["ok-[0-9]+", "broken(["]');
    expect(error.message).toMatch(
      new RegExp(`^${escapeRegExp(file)}: extra_patterns\\[1\\]: invalid regular expression: .*broken\\(\\[`),
    );
    expect(error.source).toBe(file);
    expect(error.key).toBe("extra_patterns[1]");
  });

  it.each([
    ["log_retention_days = 0", "log_retention_days: must be a positive integer, got 0"],
    ["log_retention_days = -5", "log_retention_days: must be a positive integer, got -5"],
    ["log_retention_days = 7.5", "log_retention_days: must be a positive integer, got 7.5"],
    ["log_retention_days = 30.0", "log_retention_days: must be a positive integer, got 30"],
    ['log_retention_days = "30"', 'log_retention_days: must be a positive integer, got "30"'],
    [
      "log_retention_days = 99999999999999999999",
      "log_retention_days: must be a positive integer, got 99999999999999999999",
    ],
    ['extra_patterns = "abc"', 'extra_patterns: must be an array of strings, got "abc"'],
    ["extra_patterns = [1]", "extra_patterns[0]: must be a string, got 1"],
    ['extra_patterns = ["a", ["b"]]', "extra_patterns[1]: must be a string, got an array"],
    ['extra_patterns = [""]', "extra_patterns[0]: must not be empty"],
    [
      "log_retention_dayz = 3",
      "log_retention_dayz: unknown key (expected log_retention_days, extra_patterns)",
    ],
    ["[retention]\ndays = 3", "retention: unknown key (expected log_retention_days, extra_patterns)"],
  ])("rejects %j, naming the file and the key", (toml, problem) => {
    expect(failure(toml).message).toBe(`${file}: ${problem}`);
  });

  it("rejects malformed TOML, naming the file and the line", () => {
    const error = failure("log_retention_days = 7\nextra_patterns = [\n");
    expect(error.message).toMatch(
      new RegExp(`^${escapeRegExp(file)}: invalid TOML at line \\d+, column \\d+: `),
    );
    expect(error.key).toBeNull();
  });

  it("rejects a config path that is not a readable file", () => {
    mkdirSync(file);
    expect(failure(undefined).message).toMatch(new RegExp(`^${escapeRegExp(file)}: cannot read: `));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
