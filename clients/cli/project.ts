import fs from "node:fs";
import path from "node:path";
import { UsageError } from "./action.js";

/**
 * Where `coven run` launches: the working directory (canonical, symlinks resolved) and the project that contains
 * it — the nearest directory upwards holding `.git` (a directory, or a file for worktrees and submodules), else
 * the working directory itself. Both are sent as canonical paths; the daemon re-checks and decides.
 */
export function locateProject(dir: string): { projectRoot: string; cwd: string } {
  let cwd: string;
  try {
    cwd = fs.realpathSync(path.resolve(dir));
  } catch {
    throw new UsageError(`${dir} does not exist.`);
  }
  if (!fs.statSync(cwd).isDirectory()) throw new UsageError(`${dir} is not a directory.`);
  for (let current = cwd; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, ".git"))) return { projectRoot: current, cwd };
    if (path.dirname(current) === current) return { projectRoot: cwd, cwd };
  }
}
