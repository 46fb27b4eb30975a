import fs from "node:fs";
import path from "node:path";
import { tempDir } from "./daemon.js";

/**
 * Fake harnesses, declared the way an operator would: small executable scripts on a test PATH and an adapter
 * manifest naming them. The prompt reaches each script as its last argv element (after `--`).
 */
export const FAKE_HARNESSES: Record<string, string> = {
  // Prints its argv, echoes each input line, prints its terminal size on SIGWINCH, exits on "exit N".
  // Its handlers are installed before it prints, and its banner is one write: a test that saw "hello" may
  // resize or type at once, and expects the whole banner in the same output.
  "fake-echo": `
const prompt = process.argv.at(-1);
// Creating process.stdout installs node's own SIGWINCH listener, which updates its size: it must run first.
const out = process.stdout;
process.on("SIGWINCH", () => out.write("size=" + out.columns + "x" + out.rows + "\\n"));
process.stdin.setEncoding("utf8");
let buffer = "";
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.search(/[\\r\\n]/)) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (line === "") continue;
    const exit = /^exit (\\d+)$/.exec(line);
    if (exit) { out.write("bye\\n", () => process.exit(Number(exit[1]))); return; }
    out.write("echo:" + line.toUpperCase() + "\\n");
  }
});
out.write(
  "hello from fake-echo\\n" +
    "argv=" + JSON.stringify(process.argv.slice(2)) + "\\n" +
    "session=" + process.env.COVEN_SESSION_ID + " term=" + process.env.TERM + "\\n" +
    "start size=" + out.columns + "x" + out.rows + "\\n",
);
if (prompt === "quick") setTimeout(() => process.exit(0), 50);
`,
  // Ignores SIGTERM, so only the SIGKILL escalation ends it.
  "fake-stubborn": `
process.on("SIGTERM", () => process.stdout.write("ignoring SIGTERM\\n"));
process.stdout.write("stubborn ready\\n");
setInterval(() => {}, 1000);
`,
  // Exits non-zero after printing.
  "fake-fail": `
process.stdout.write("about to fail\\n", () => process.exit(7));
`,
  // Ends itself with SIGTERM (no handler, so the signal's default action): no exit status, only a signal.
  "fake-signal": `
process.stdout.write("going down\\n", () => process.kill(process.pid, "SIGTERM"));
`,
  // Prints a fake cloud key in two writes 150 ms apart, as a terminal echoing it while it is typed would: longer
  // than ordinary output's 40 ms quiet period, well inside a possible secret's 1 s.
  "fake-slow-secret": `
process.stdout.write("typed: AKIAQ7VB2MK9");
setTimeout(() => process.stdout.write("PL4NR8ST done\\n", () => process.exit(0)), 150);
`,
  // Prints a fake cloud key split across two writes, some time apart.
  "fake-secret": `
process.stdout.write("aws key: AKIAIOSF");
setTimeout(() => process.stdout.write("ODNN7EXAMPLE done\\n", () => process.exit(0)), 15);
`,
  // Prints what grep --color and a syntax highlighter make of secrets: colour codes inside the key and inside
  // the name of an assignment, the key split across two writes.
  "fake-highlight": `
process.stdout.write("config.env:1:\\x1b[01;31m\\x1b[KAKIA\\x1b[m\\x1b[KIOSFOD");
setTimeout(() => {
  process.stdout.write("NN7EXAMPLE\\nexport DB_\\x1b[31mPASSWORD\\x1b[0m=hunter2-colour done\\n", () => process.exit(0));
}, 15);
`,
  // Repaints its whole input line on every keystroke, as full-screen UIs do (with a reverse-video cursor after it),
  // instead of leaving the echo to the terminal; Enter reports the line's length.
  "fake-repaint": `
process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
process.stdout.write("repaint ready\\r\\n");
let line = "";
process.stdin.on("data", (chunk) => {
  for (const key of chunk) {
    if (key === "\\r") {
      process.stdout.write("\\r\\ngot " + line.length + " characters\\r\\n");
      line = "";
      continue;
    }
    line += key;
    process.stdout.write("\\r\\x1b[2K> " + line + "\\x1b[7m \\x1b[27m");
  }
});
`,
  // On the input line "go", prints far more than the writer's queue holds, as fast as the PTY drains; exits 0.
  "fake-flood": `
const total = Number(process.argv.at(-1)) || 8 * 1024 * 1024;
process.stdin.once("data", () => pump());
const line = "x".repeat(1023) + "\\n";
const chunk = line.repeat(64);
let written = 0;
function pump() {
  while (written < total) {
    written += chunk.length;
    if (!process.stdout.write(chunk)) return process.stdout.once("drain", pump);
  }
  process.stdout.write("flood done\\n", () => process.exit(0));
}
`,
};

/** The bundled adapters' executables. Tests rely on their absence (install hints, refusals, doctor warnings). */
const BUNDLED_EXECUTABLES = ["codex", "claude", "copilot"];

/**
 * This process's PATH without the directories holding a bundled harness, so that on a developer's machine with
 * Codex or Claude Code installed no test ever launches the real thing.
 */
function pathWithoutBundledHarnesses(): string[] {
  return (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => dir !== "" && !BUNDLED_EXECUTABLES.some((name) => fs.existsSync(path.join(dir, name))));
}

export interface FakeHarnessKit {
  bin: string;
  manifest: string;
  env: NodeJS.ProcessEnv;
  projectRoot: string;
}

export function fakeHarnessKit(): FakeHarnessKit {
  const root = fs.realpathSync(tempDir("coven-harness-"));
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  for (const [name, body] of Object.entries(FAKE_HARNESSES)) {
    const file = path.join(bin, name);
    fs.writeFileSync(file, `#!${process.execPath}\n${body}`);
    fs.chmodSync(file, 0o755);
  }
  const manifest = path.join(root, "adapters.json");
  const adapters = Object.keys(FAKE_HARNESSES).map((name) => ({
    id: name,
    label: name,
    executable: name,
    interactive_prompt_prefix_args: ["--mode=interactive"],
    non_interactive_prompt_prefix_args: ["--mode=batch"],
  }));
  fs.writeFileSync(manifest, JSON.stringify({ adapters }));
  const projectRoot = path.join(root, "project");
  fs.mkdirSync(path.join(projectRoot, "sub"), { recursive: true });
  return {
    bin,
    manifest,
    projectRoot,
    env: {
      PATH: [bin, ...pathWithoutBundledHarnesses()].join(":"),
      COVEN_HARNESS_ADAPTER_MANIFEST: manifest,
    },
  };
}
