import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CONFIG_JSON_SCHEMA,
  CovenConfigError,
  DEFAULT_HARNESSES,
  harnessForAgent,
  MAX_PROMPT_BYTES,
  resolveConfig,
} from "../../src/config.js";
import { PLUGIN_ROOT } from "../helpers/coven.js";

const HOME = "/home/someone";

describe("resolveConfig", () => {
  it("defaults to ~/.coven, its socket, the built-in agent map, no fallback", () => {
    const config = resolveConfig(undefined, { homeDir: HOME });
    expect(config.covenHome).toBe("/home/someone/.coven");
    expect(config.socketPath).toBe("/home/someone/.coven/coven.sock");
    expect(config.harnesses).toEqual(DEFAULT_HARNESSES);
    expect(config.allowFallback).toBe(false);
    expect(config.fallbackBackend).toBeUndefined();
    expect(config.maxPromptBytes).toBe(MAX_PROMPT_BYTES);
  });

  it("maps the default ACP agent ids, case-insensitively, and refuses every other id", () => {
    const config = resolveConfig({}, { homeDir: HOME });
    for (const agent of ["codex", "openai-codex", "codex-cli", "CODEX"])
      expect(harnessForAgent(config, agent)).toBe("codex");
    for (const agent of ["claude", "claude-cli"]) expect(harnessForAgent(config, agent)).toBe("claude");
    for (const agent of [
      "gemini",
      "copilot",
      "",
      "../codex",
      "codex;rm",
      "__proto__",
      "constructor",
      "toString",
    ]) {
      expect(harnessForAgent(config, agent)).toBeUndefined();
    }
  });

  it("adds configured agent ids on top of the defaults, and may remap one", () => {
    const config = resolveConfig(
      { harnesses: { Fake: "fake-echo", claude: "claude-next" } },
      { homeDir: HOME },
    );
    expect(harnessForAgent(config, "fake")).toBe("fake-echo");
    expect(harnessForAgent(config, "claude")).toBe("claude-next");
    expect(harnessForAgent(config, "codex")).toBe("codex");
  });

  it("expands ~/ and accepts a socketPath that is exactly <covenHome>/coven.sock", () => {
    const config = resolveConfig(
      { covenHome: "~/state/coven", socketPath: "~/state/coven/coven.sock" },
      { homeDir: HOME },
    );
    expect(config.covenHome).toBe("/home/someone/state/coven");
    expect(config.socketPath).toBe("/home/someone/state/coven/coven.sock");
    expect(resolveConfig({ covenHome: "/srv/c/", socketPath: "/srv/c/./coven.sock" }).socketPath).toBe(
      "/srv/c/coven.sock",
    );
  });

  it.each([
    [{ socketPath: "/tmp/other.sock" }, /socketPath must be exactly/],
    [{ covenHome: "/srv/coven", socketPath: "/srv/coven/other.sock" }, /socketPath must be exactly/],
    [
      { covenHome: "/srv/coven", socketPath: "/srv/coven/sub/../../coven/x/../coven.sock2" },
      /socketPath must be exactly/,
    ],
    [{ covenHome: "relative/dir" }, /absolute path/],
    [{ covenHome: "/" }, /root directory/],
    [{ covenHome: "" }, /non-empty string/],
    [{ covenHome: 42 }, /non-empty string/],
    [{ covenHome: "/a\0b" }, /NUL/],
    [{ sockPath: "/x" }, /unknown key "sockPath"/],
    [{ harnesses: ["codex"] }, /harnesses must be an object/],
    [{ harnesses: { "bad id": "codex" } }, /not a valid ACP agent id/],
    [{ harnesses: { fake: "sh -c x" } }, /Coven harness id/],
    [{ harnesses: { fake: 3 } }, /Coven harness id/],
    [{ allowFallback: "yes" }, /allowFallback must be true or false/],
    [{ allowFallback: true }, /no fallbackBackend is named/],
    [{ allowFallback: true, fallbackBackend: "coven" }, /cannot be coven itself/],
    [{ allowFallback: true, fallbackBackend: "bad id!" }, /fallbackBackend must be/],
    [{ maxPromptBytes: 0 }, /maxPromptBytes must be an integer/],
    [{ maxPromptBytes: MAX_PROMPT_BYTES + 1 }, /maxPromptBytes must be an integer/],
    [{ maxEventBytes: 1.5 }, /maxEventBytes must be an integer/],
    ["not an object", /must be an object/],
  ])("refuses %j", (raw, message) => {
    expect(() => resolveConfig(raw, { homeDir: HOME })).toThrow(CovenConfigError);
    expect(() => resolveConfig(raw, { homeDir: HOME })).toThrow(message);
  });

  it("keeps a fallback backend only when fallback is allowed", () => {
    expect(resolveConfig({ allowFallback: true, fallbackBackend: "ACPX" }).fallbackBackend).toBe("acpx");
    expect(resolveConfig({ allowFallback: false, fallbackBackend: "acpx" }).fallbackBackend).toBeUndefined();
  });

  it("bounds the number of harness entries", () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`agent-${i}`, "codex"]));
    expect(() => resolveConfig({ harnesses: many })).toThrow(/at most 256/);
  });
});

describe("openclaw.plugin.json", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(PLUGIN_ROOT, "openclaw.plugin.json"), "utf8"));
  const pkg = JSON.parse(fs.readFileSync(path.join(PLUGIN_ROOT, "package.json"), "utf8"));

  it("declares the plugin id, disabled by default, with the config schema the code validates", () => {
    expect(manifest.id).toBe("opencoven-coven");
    expect(manifest.enabledByDefault).toBeUndefined();
    expect(manifest.configSchema).toEqual(JSON.parse(JSON.stringify(CONFIG_JSON_SCHEMA)));
    expect(manifest.configSchema.additionalProperties).toBe(false);
    for (const key of Object.keys(manifest.uiHints))
      expect(Object.keys(manifest.configSchema.properties)).toContain(key);
  });

  it("points OpenClaw's package fields at the built entry", () => {
    expect(pkg.openclaw.extensions).toEqual(["./dist/index.js"]);
    expect(pkg.openclaw.compat.pluginApi).toMatch(/^>=2026\./);
    expect(pkg.peerDependencies.openclaw).toBeDefined();
    expect(pkg.devDependencies.openclaw).toBe("2026.9.6");
    expect(pkg.files).toContain("openclaw.plugin.json");
  });
});
