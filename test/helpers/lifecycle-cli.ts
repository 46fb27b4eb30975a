import { spawn } from "node:child_process";
import { COVEN_BIN } from "./daemon.js";

export interface LifecycleCliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `coven` CLI as a process (for the lifecycle and config tests) and collects its output. `env`
 * is merged over ours, or is the whole environment with `replaceEnv` (to test defaults like an unset
 * COVEN_HOME). Resolves on the command's own exit: a daemon it started never holds these pipes, but the
 * result must not depend on that.
 */
export function runCovenCommand(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; replaceEnv?: boolean; cwd?: string; timeoutMs?: number } = {},
): Promise<LifecycleCliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COVEN_BIN, ...args], {
      env: options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env },
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
    const timeoutMs = options.timeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`coven ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    let settled = false;
    const finish = (status: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    };
    child.once("close", finish);
    child.once("exit", (status) => setTimeout(() => finish(status), 500).unref());
  });
}
