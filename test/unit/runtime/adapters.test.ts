import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CovenError } from "../../../server/errors.js";
import {
  type AdapterCatalog,
  buildHarnessArgv,
  type HarnessAdapter,
  loadAdapterCatalog,
  requireHarnessAdapter,
  resolveExecutable,
} from "../../../server/runtime/adapters/index.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), "coven-adapters-")));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return file;
}

function writeExecutable(
  dir: string,
  name: string,
  body = '#!/bin/sh\nfor a in "$@"; do printf \'<%s>\\n\' "$a"; done\n',
) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  fs.chmodSync(file, 0o755);
  return file;
}

function bundled(id: string): HarnessAdapter {
  const adapter = loadAdapterCatalog({}).get(id);
  if (adapter === undefined) throw new Error(`no bundled ${id}`);
  return adapter;
}

const goodEntry = {
  id: "aider",
  label: "Aider",
  executable: "aider",
  interactive_prompt_prefix_args: ["--no-auto-commits"],
  non_interactive_prompt_prefix_args: ["--yes", "--message-file", "/dev/stdin"],
};

describe("bundled adapters", () => {
  it("loads exactly codex, claude and copilot with no problems when no env is set", () => {
    const catalog = loadAdapterCatalog({});
    expect([...catalog.adapters.keys()]).toEqual(["codex", "claude", "copilot"]);
    expect(catalog.problems).toEqual([]);
    expect(catalog.get("codex")).toMatchObject({
      label: "Codex",
      executable: "codex",
      installHint: "npm install -g @openai/codex",
      source: "bundled",
    });
    expect(catalog.get("claude")).toMatchObject({
      label: "Claude Code",
      executable: "claude",
      installHint: "npm install -g @anthropic-ai/claude-code",
    });
    expect(catalog.get("copilot")).toMatchObject({
      label: "GitHub Copilot CLI",
      executable: "copilot",
      promptFlag: "--prompt",
      installHint: "npm install -g @github/copilot",
    });
    expect(catalog.get("nope")).toBeUndefined();
    expect(catalog.get("__proto__")).toBeUndefined();
  });

  it("gives every catalog its own adapter objects", () => {
    const a = loadAdapterCatalog({});
    a.get("codex")?.nonInteractivePromptPrefixArgs.push("--evil");
    expect(loadAdapterCatalog({}).get("codex")?.nonInteractivePromptPrefixArgs).toEqual([
      "exec",
      "--skip-git-repo-check",
      "--color",
      "never",
    ]);
  });

  it("builds codex argv in both modes", () => {
    const codex = bundled("codex");
    expect(buildHarnessArgv(codex, "fix the tests", "interactive")).toEqual(["--", "fix the tests"]);
    expect(buildHarnessArgv(codex, "fix the tests", "nonInteractive")).toEqual([
      "exec",
      "--skip-git-repo-check",
      "--color",
      "never",
      "--",
      "fix the tests",
    ]);
  });

  it("builds claude argv in both modes", () => {
    const claude = bundled("claude");
    expect(buildHarnessArgv(claude, "hello", "interactive")).toEqual(["--", "hello"]);
    expect(buildHarnessArgv(claude, "hello", "nonInteractive")).toEqual(["--print", "--", "hello"]);
  });

  it("builds copilot argv in both modes with the prompt bound to --prompt", () => {
    const copilot = bundled("copilot");
    expect(buildHarnessArgv(copilot, "hello world", "interactive")).toEqual(["--prompt=hello world"]);
    expect(buildHarnessArgv(copilot, "hello world", "nonInteractive")).toEqual(["--prompt=hello world"]);
  });

  it("keeps a prompt that starts with '-' as data", () => {
    expect(buildHarnessArgv(bundled("claude"), "--dangerously-skip-permissions", "nonInteractive")).toEqual([
      "--print",
      "--",
      "--dangerously-skip-permissions",
    ]);
    expect(buildHarnessArgv(bundled("copilot"), "-rf /", "interactive")).toEqual(["--prompt=-rf /"]);
  });

  it("passes shell-looking and multi-line prompts as one element", () => {
    const prompt = "$(touch pwned); `id` && echo 'hi'\nsecond line";
    const argv = buildHarnessArgv(bundled("codex"), prompt, "interactive");
    expect(argv).toEqual(["--", prompt]);
  });

  it("omits the prompt part entirely for an empty prompt", () => {
    expect(buildHarnessArgv(bundled("codex"), "", "interactive")).toEqual([]);
    expect(buildHarnessArgv(bundled("claude"), "", "nonInteractive")).toEqual(["--print"]);
    expect(buildHarnessArgv(bundled("copilot"), "", "nonInteractive")).toEqual([]);
  });

  it("refuses a prompt containing NUL", () => {
    expect(() => buildHarnessArgv(bundled("codex"), "a\0b", "interactive")).toThrow(CovenError);
  });

  it("binds a short prompt flag without '='", () => {
    const adapter: HarnessAdapter = { ...bundled("codex"), promptFlag: "-p" };
    expect(buildHarnessArgv(adapter, "-x", "interactive")).toEqual(["-p-x"]);
  });

  it("does not alias the adapter's prefix array", () => {
    const claude = bundled("claude");
    buildHarnessArgv(claude, "x", "nonInteractive").push("junk");
    expect(claude.nonInteractivePromptPrefixArgs).toEqual(["--print"]);
  });
});

describe("operator manifests", () => {
  it("loads a snake_case manifest named by COVEN_HARNESS_ADAPTER_MANIFEST", () => {
    const file = writeJson(path.join(tmp, "adapters.json"), {
      adapters: [{ ...goodEntry, prompt_flag: "--message", install_hint: "pipx install aider-chat" }],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.problems).toEqual([]);
    expect(catalog.get("aider")).toEqual({
      id: "aider",
      label: "Aider",
      executable: "aider",
      interactivePromptPrefixArgs: ["--no-auto-commits"],
      nonInteractivePromptPrefixArgs: ["--yes", "--message-file", "/dev/stdin"],
      promptFlag: "--message",
      installHint: "pipx install aider-chat",
      source: file,
    });
    const aider = catalog.get("aider")!;
    expect(buildHarnessArgv(aider, "-v please", "nonInteractive")).toEqual([
      "--yes",
      "--message-file",
      "/dev/stdin",
      "--message=-v please",
    ]);
  });

  it("accepts camelCase aliases", () => {
    const file = writeJson(path.join(tmp, "camel.json"), {
      adapters: [
        {
          id: "goose",
          label: "Goose",
          executable: "goose",
          interactivePromptPrefixArgs: ["session"],
          nonInteractivePromptPrefixArgs: ["run", "--text"],
          installHint: "brew install goose",
        },
      ],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.problems).toEqual([]);
    const goose = catalog.get("goose")!;
    expect(goose).toMatchObject({
      interactivePromptPrefixArgs: ["session"],
      nonInteractivePromptPrefixArgs: ["run", "--text"],
      installHint: "brew install goose",
      source: file,
    });
    expect(goose.promptFlag).toBeUndefined();
    expect(buildHarnessArgv(goose, "go", "interactive")).toEqual(["session", "--", "go"]);
  });

  it("refuses an entry that spells a field both ways", () => {
    const file = writeJson(path.join(tmp, "both.json"), {
      adapters: [{ ...goodEntry, interactivePromptPrefixArgs: [] }],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.get("aider")).toBeUndefined();
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]!.message).toContain("interactivePromptPrefixArgs");
  });

  it("refuses an entry that shadows a bundled id but keeps the others", () => {
    const file = writeJson(path.join(tmp, "shadow.json"), {
      adapters: [{ ...goodEntry, id: "codex", executable: "evil" }, goodEntry],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.get("codex")).toMatchObject({ executable: "codex", source: "bundled" });
    expect(catalog.get("aider")).toBeDefined();
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]!.source).toBe(file);
    expect(catalog.problems[0]!.message).toContain(file);
    expect(catalog.problems[0]!.message).toContain("bundled");
    expect(catalog.problems[0]!.message).toContain('"id"');
  });

  it.each([
    ["./x", "not a path"],
    ["/bin/sh", "not a path"],
    ["sh -c", "not a shell command line"],
    ["a;b", "metacharacters"],
    ["$(id)", "metacharacters"],
    ["..", "command name"],
    ["", "must not be empty"],
  ])("refuses executable %j", (executable, expected) => {
    const file = writeJson(path.join(tmp, "bad-exe.json"), {
      adapters: [{ ...goodEntry, id: "bad", executable }, goodEntry],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.get("bad")).toBeUndefined();
    expect(catalog.get("aider")).toBeDefined();
    expect(catalog.problems).toHaveLength(1);
    const { source, message } = catalog.problems[0]!;
    expect(source).toBe(file);
    expect(message).toContain(file);
    expect(message).toContain('"executable"');
    expect(message).toContain(expected);
  });

  it.each([
    [{ ...goodEntry, id: "Aider" }, '"id"'],
    [{ ...goodEntry, id: "9lives" }, '"id"'],
    [{ ...goodEntry, prompt_flag: "message" }, '"prompt_flag"'],
    [{ ...goodEntry, promptFlag: "--x y" }, '"promptFlag"'],
    [
      { ...goodEntry, non_interactive_prompt_prefix_args: ["ok", "a\u0000b"] },
      "non_interactive_prompt_prefix_args[1]",
    ],
    [{ ...goodEntry, interactive_prompt_prefix_args: "--yes" }, '"interactive_prompt_prefix_args"'],
    [{ ...goodEntry, label: undefined }, '"label" is required'],
    [{ ...goodEntry, promt_flag: "--p" }, 'unknown field "promt_flag"'],
    ["aider", "must be an object"],
  ])("refuses an invalid entry (%#) naming the field", (entry, expected) => {
    const file = writeJson(path.join(tmp, "bad.json"), { adapters: [entry] });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect([...catalog.adapters.keys()]).toEqual(["codex", "claude", "copilot"]);
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]!.message).toContain(file);
    expect(catalog.problems[0]!.message).toContain("adapters[0]");
    expect(catalog.problems[0]!.message).toContain(expected);
  });

  it("records bad JSON as a problem for that file only", () => {
    const dir = path.join(tmp, "dir");
    const bad = writeJson(path.join(dir, "a-bad.json"), '{ "adapters": [ ');
    writeJson(path.join(dir, "b-good.json"), { adapters: [goodEntry] });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_DIRS: dir });
    expect(catalog.get("aider")).toBeDefined();
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]!.source).toBe(bad);
    expect(catalog.problems[0]!.message).toContain(bad);
    expect(catalog.problems[0]!.message).toContain("not valid JSON");
  });

  it("records a manifest without an adapters array", () => {
    const file = writeJson(path.join(tmp, "x.json"), { adapter: [goodEntry] });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.problems).toEqual([{ source: file, message: expect.stringContaining('"adapters"') }]);
    const arr = writeJson(path.join(tmp, "y.json"), [goodEntry]);
    expect(loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: arr }).problems).toHaveLength(1);
  });

  it("loads *.json in sorted order across COVEN_HARNESS_ADAPTER_DIRS; the first id wins", () => {
    const dirA = path.join(tmp, "a");
    const dirB = path.join(tmp, "b");
    const first = writeJson(path.join(dirA, "20-first.json"), { adapters: [{ ...goodEntry, label: "A20" }] });
    writeJson(path.join(dirA, "10-other.json"), {
      adapters: [{ ...goodEntry, id: "opencode", executable: "opencode" }],
    });
    writeJson(path.join(dirA, "ignored.txt"), { adapters: [{ ...goodEntry, id: "txt" }] });
    const dup = writeJson(path.join(dirB, "00-dup.json"), {
      adapters: [
        { ...goodEntry, label: "B" },
        { ...goodEntry, id: "crush", executable: "crush" },
      ],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_DIRS: `${dirA}:${dirB}` });
    expect([...catalog.adapters.keys()]).toEqual([
      "codex",
      "claude",
      "copilot",
      "opencode",
      "aider",
      "crush",
    ]);
    expect(catalog.get("aider")).toMatchObject({ label: "A20", source: first });
    expect(catalog.get("crush")?.source).toBe(dup);
    expect(catalog.get("txt")).toBeUndefined();
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]!.source).toBe(dup);
    expect(catalog.problems[0]!.message).toContain("duplicates");
    expect(catalog.problems[0]!.message).toContain(first);
  });

  it("loads the manifest file before the directories", () => {
    const file = writeJson(path.join(tmp, "m.json"), { adapters: [{ ...goodEntry, label: "file" }] });
    const dir = path.join(tmp, "d");
    writeJson(path.join(dir, "x.json"), { adapters: [{ ...goodEntry, label: "dir" }] });
    const catalog = loadAdapterCatalog({
      COVEN_HARNESS_ADAPTER_MANIFEST: file,
      COVEN_HARNESS_ADAPTER_DIRS: dir,
    });
    expect(catalog.get("aider")?.label).toBe("file");
    expect(catalog.problems).toHaveLength(1);
  });

  it("loads a file named both ways only once", () => {
    const dir = path.join(tmp, "d");
    const file = writeJson(path.join(dir, "x.json"), { adapters: [goodEntry] });
    const catalog = loadAdapterCatalog({
      COVEN_HARNESS_ADAPTER_MANIFEST: file,
      COVEN_HARNESS_ADAPTER_DIRS: dir,
    });
    expect(catalog.get("aider")).toBeDefined();
    expect(catalog.problems).toEqual([]);
  });

  it("records a missing manifest file and a missing directory", () => {
    const file = path.join(tmp, "missing.json");
    const dir = path.join(tmp, "missing-dir");
    const notDir = writeJson(path.join(tmp, "plain.json"), { adapters: [] });
    const catalog = loadAdapterCatalog({
      COVEN_HARNESS_ADAPTER_MANIFEST: file,
      COVEN_HARNESS_ADAPTER_DIRS: `${dir}::${notDir}`,
    });
    expect([...catalog.adapters.keys()]).toEqual(["codex", "claude", "copilot"]);
    expect(catalog.problems.map((p) => p.source)).toEqual([file, dir, notDir]);
    expect(catalog.problems[0]!.message).toContain("does not exist");
    expect(catalog.problems[1]!.message).toContain("does not exist");
    expect(catalog.problems[2]!.message).toContain("not a directory");
  });

  it("never reads manifests that the environment does not name", () => {
    writeJson(path.join(tmp, "adapters.json"), { adapters: [goodEntry] });
    const cwd = process.cwd();
    try {
      process.chdir(tmp);
      expect(loadAdapterCatalog({}).get("aider")).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
  });

  it("requireHarnessAdapter refuses an unknown harness with invalid_request", () => {
    const catalog: AdapterCatalog = loadAdapterCatalog({});
    expect(requireHarnessAdapter(catalog, "claude").id).toBe("claude");
    try {
      requireHarnessAdapter(catalog, "aider");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CovenError);
      expect((error as CovenError).code).toBe("invalid_request");
      expect((error as CovenError).details).toMatchObject({ field: "harness", harness: "aider" });
    }
  });
});

describe("resolveExecutable", () => {
  it("finds an executable regular file on PATH and returns its absolute path", () => {
    const bin1 = path.join(tmp, "bin1");
    const bin2 = path.join(tmp, "bin2");
    fs.mkdirSync(bin1);
    const expected = writeExecutable(bin2, "fakeharness");
    expect(resolveExecutable("fakeharness", `${bin1}:${bin2}`)).toBe(expected);
    expect(resolveExecutable("nothere", `${bin1}:${bin2}`)).toBeNull();
  });

  it("prefers the first PATH entry", () => {
    const first = writeExecutable(path.join(tmp, "a"), "tool");
    writeExecutable(path.join(tmp, "b"), "tool");
    expect(resolveExecutable("tool", `${path.join(tmp, "a")}:${path.join(tmp, "b")}`)).toBe(first);
  });

  it("skips non-executable files, directories, empty and relative entries", () => {
    const noExec = path.join(tmp, "noexec");
    fs.mkdirSync(noExec);
    fs.writeFileSync(path.join(noExec, "tool"), "#!/bin/sh\n");
    fs.chmodSync(path.join(noExec, "tool"), 0o644);
    const asDir = path.join(tmp, "asdir");
    fs.mkdirSync(path.join(asDir, "tool"), { recursive: true });
    fs.chmodSync(path.join(asDir, "tool"), 0o755);
    const good = writeExecutable(path.join(tmp, "good"), "tool");
    writeExecutable(path.join(tmp, "rel"), "tool");
    const cwd = process.cwd();
    try {
      process.chdir(tmp);
      expect(resolveExecutable("tool", `:rel:${noExec}:${asDir}`)).toBeNull();
      expect(resolveExecutable("tool", `:rel:${noExec}:${asDir}:${path.join(tmp, "good")}`)).toBe(good);
    } finally {
      process.chdir(cwd);
    }
  });

  it("follows a symlink to an executable", () => {
    const real = writeExecutable(path.join(tmp, "real"), "tool");
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(real, path.join(bin, "tool"));
    expect(resolveExecutable("tool", bin)).toBe(path.join(bin, "tool"));
  });

  it("never resolves a path or '.'/'..'", () => {
    const bin = path.join(tmp, "bin");
    writeExecutable(bin, "tool");
    expect(resolveExecutable(`${bin}/tool`, bin)).toBeNull();
    expect(resolveExecutable("./tool", bin)).toBeNull();
    expect(resolveExecutable("..", bin)).toBeNull();
    expect(resolveExecutable("", bin)).toBeNull();
  });

  it("defaults to process.env.PATH", () => {
    expect(resolveExecutable("sh")).toMatch(/^\/.*\/sh$/);
  });

  it("runs a manifest adapter with the prompt arriving as exactly one argv element", () => {
    const bin = path.join(tmp, "bin");
    writeExecutable(bin, "echoargs");
    const file = writeJson(path.join(tmp, "m.json"), {
      adapters: [
        { ...goodEntry, id: "echo", executable: "echoargs", non_interactive_prompt_prefix_args: ["run"] },
        {
          ...goodEntry,
          id: "echo-flag",
          executable: "echoargs",
          non_interactive_prompt_prefix_args: [],
          prompt_flag: "--prompt",
        },
      ],
    });
    const catalog = loadAdapterCatalog({ COVEN_HARNESS_ADAPTER_MANIFEST: file });
    expect(catalog.problems).toEqual([]);
    const prompt = "-x $(echo pwned) ; `id`\n'quoted' \"dq\"";
    for (const [id, expected] of [
      ["echo", ["<run>", "<-->", `<${prompt}>`]],
      ["echo-flag", [`<--prompt=${prompt}>`]],
    ] as const) {
      const adapter = catalog.get(id)!;
      const exe = resolveExecutable(adapter.executable, bin);
      expect(exe).toBe(path.join(bin, "echoargs"));
      const out = execFileSync(exe!, buildHarnessArgv(adapter, prompt, "nonInteractive"), {
        encoding: "utf8",
      });
      expect(out).toBe(`${expected.join("\n")}\n`);
    }
  });
});
