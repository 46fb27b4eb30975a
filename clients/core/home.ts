import os from "node:os";
import path from "node:path";

/** `COVEN_HOME`, or `~/.coven` when it is unset or blank; relative values resolve against the working directory. */
export function resolveCovenHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.COVEN_HOME?.trim();
  return path.resolve(configured ? configured : path.join(os.homedir(), ".coven"));
}

/** The daemon's API socket under a COVEN_HOME. */
export function covenSocketPath(home: string): string {
  return path.join(home, "coven.sock");
}
