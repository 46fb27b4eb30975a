import { spawn } from "node:child_process";
import { COVEN_BIN } from "./daemon.js";

export interface CovenRunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `coven` binary as a real process and collects its output. `env` is merged over the test's
 * environment unless `replaceEnv` is set (then it is the whole environment).
 */
export function runCoven(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; replaceEnv?: boolean; cwd?: string; timeoutMs?: number } = {},
): Promise<CovenRunResult> {
  const env = options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env };
  const child = spawn(process.execPath, [COVEN_BIN, ...args], {
    env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`coven ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    let settled = false;
    const finish = (status: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    };
    child.once("close", finish);
    // A daemon started by the command may inherit the pipes; do not wait for it beyond the command's own exit.
    child.once("exit", (status, signal) => setTimeout(() => finish(status, signal), 500).unref());
  });
}
