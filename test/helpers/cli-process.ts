import { type ChildProcess, spawn } from "node:child_process";
import { COVEN_BIN, waitFor } from "./daemon.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Merged over process.env (COVEN_HOME, the fake harnesses' PATH and manifest…). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed (default: an open, empty stdin that is closed at once). */
  input?: string;
  timeoutMs?: number;
}

/** A running `coven` process whose output is collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exited. */
  done: Promise<CliResult>;
}

/** Starts the built `coven` binary as a real process (never in-process), with stdin open. */
export function startCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [COVEN_BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`coven ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `coven …` to completion. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, { input: "", ...options }).done;
}

/** Runs `coven … --json`-style commands and parses stdout as one JSON value. */
export async function runCliJson<T = unknown>(
  args: string[],
  options: CliOptions,
): Promise<{ code: number | null; body: T; stderr: string }> {
  const result = await runCli(args, options);
  let body: T;
  try {
    body = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `coven ${args.join(" ")} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { code: result.code, body, stderr: result.stderr };
}

/** Parses stdout with one JSON value per line. */
export function jsonLines<T = unknown>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

export async function waitForText(
  read: () => string,
  text: string,
  what = JSON.stringify(text),
): Promise<void> {
  await waitFor(() => read().includes(text), what);
}
