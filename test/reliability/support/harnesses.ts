import fs from "node:fs";
import path from "node:path";
import { tempDir } from "../../helpers/daemon.js";

/**
 * Fake harnesses of the reliability suite, declared like test/helpers/harness.ts does (scripts on a test PATH
 * and an operator manifest), but in their own kit so the normal suite's harness list stays as it is.
 *
 * `rel-chatty` prints numbered lines `L<n> <padding>` so a reader can tell exactly which output reached the
 * ledger. Its prompt (the last argv element) is JSON: `lineBytes` (length of a line before the PTY's "\r\n"),
 * `linesPerTick`, `tickMs` (0: as fast as the PTY drains), `durationMs` (0: forever; else it prints
 * `done <lines>` and exits 0, `lingerMs` after that last line). It puts its terminal in raw mode (no echo)
 * and answers each input chunk with one line `I <json of the chunk>`, so input never interleaves with its
 * numbered lines.
 */
export const RELIABILITY_HARNESSES: Record<string, string> = {
  "rel-chatty": `
const opts = JSON.parse(process.argv.at(-1) || "{}");
const lineBytes = opts.lineBytes ?? 100;
const perTick = opts.linesPerTick ?? 10;
const tickMs = opts.tickMs ?? 10;
const durationMs = opts.durationMs ?? 0;
const lingerMs = opts.lingerMs ?? 0;
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => process.stdout.write("I " + JSON.stringify(chunk) + "\\n"));
process.stdout.on("error", () => process.exit(0));
const started = Date.now();
let n = 0;
function line(k) {
  const head = "L" + k + " ";
  return head + "x".repeat(Math.max(0, lineBytes - head.length)) + "\\n";
}
function tick() {
  if (durationMs > 0 && Date.now() - started >= durationMs) {
    process.stdout.write("done " + n + "\\n", () => setTimeout(() => process.exit(0), lingerMs));
    return;
  }
  let chunk = "";
  for (let i = 0; i < perTick; i += 1) chunk += line(n++);
  const next = () => (tickMs > 0 ? setTimeout(tick, tickMs) : setImmediate(tick));
  if (process.stdout.write(chunk)) next();
  else process.stdout.once("drain", next);
}
tick();
`,
  // Prints one line and then waits quietly until killed (a live session that changes nothing by itself).
  "rel-quiet": `
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdout.write("quiet ready\\n");
process.stdin.on("data", () => {});
setInterval(() => {}, 60_000);
`,
  // Exits 7 at once: a launch that succeeds and ends by itself.
  "rel-fail": `
process.stdout.write("failing\\n", () => process.exit(7));
`,
};

export interface ReliabilityKit {
  bin: string;
  manifest: string;
  env: NodeJS.ProcessEnv;
  /** Canonical project root with `sub/`, a regular file, and symlinks pointing inside and outside it. */
  projectRoot: string;
  /** Everything else the kit made (a directory outside the root, the symlinks), for path tricks. */
  outside: string;
}

export function reliabilityKit(): ReliabilityKit {
  const root = fs.realpathSync(tempDir("coven-rel-harness-"));
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  for (const [name, body] of Object.entries(RELIABILITY_HARNESSES)) {
    const file = path.join(bin, name);
    fs.writeFileSync(file, `#!${process.execPath}\n${body}`);
    fs.chmodSync(file, 0o755);
  }
  const manifest = path.join(root, "adapters.json");
  const adapters = Object.keys(RELIABILITY_HARNESSES).map((name) => ({
    id: name,
    label: name,
    executable: name,
    interactive_prompt_prefix_args: [],
    non_interactive_prompt_prefix_args: ["--batch"],
  }));
  fs.writeFileSync(manifest, JSON.stringify({ adapters }));
  const projectRoot = path.join(root, "project");
  const outside = path.join(root, "outside");
  fs.mkdirSync(path.join(projectRoot, "sub", "deeper"), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(projectRoot, "file.txt"), "not a directory\n");
  fs.symlinkSync(outside, path.join(projectRoot, "link-out"));
  fs.symlinkSync(path.join(projectRoot, "sub"), path.join(projectRoot, "link-in"));
  fs.symlinkSync("loop-b", path.join(projectRoot, "loop-a"));
  fs.symlinkSync("loop-a", path.join(projectRoot, "loop-b"));
  fs.symlinkSync(projectRoot, path.join(root, "project-link"));
  return {
    bin,
    manifest,
    projectRoot,
    outside,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      COVEN_HARNESS_ADAPTER_MANIFEST: manifest,
    },
  };
}

export interface ChattyOptions {
  lineBytes?: number;
  linesPerTick?: number;
  tickMs?: number;
  durationMs?: number;
  lingerMs?: number;
}

export function chattyPrompt(options: ChattyOptions): string {
  return JSON.stringify(options);
}

/**
 * Removes the temporary directories a test made (daemon homes hold hundreds of MiB of ledger after the crash and
 * load runs). `RELIABILITY_KEEP_HOMES=1` keeps them for a look afterwards.
 */
export function removeTempDirs(dirs: Iterable<string | undefined>): void {
  if (process.env.RELIABILITY_KEEP_HOMES === "1") {
    console.log(`[reliability] kept: ${[...dirs].filter(Boolean).join(" ")}`);
    return;
  }
  for (const dir of dirs) if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
