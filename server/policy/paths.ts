import fs from "node:fs";
import path from "node:path";
import { CovenError } from "../errors.js";

export type ProjectRootRefusal = "not_absolute" | "not_found" | "not_directory" | "not_canonical";
export type CwdRefusal = "outside_root" | "not_found" | "not_directory";

function refuseRoot(
  projectRoot: unknown,
  reason: ProjectRootRefusal,
  message: string,
  extra?: Record<string, unknown>,
): CovenError {
  return new CovenError("invalid_request", message, { field: "projectRoot", projectRoot, reason, ...extra });
}

function refuseCwd(cwd: unknown, reason: CwdRefusal, message: string): CovenError {
  return new CovenError("invalid_request", message, { field: "cwd", cwd, reason });
}

/** `child` is `root` itself or below it; compares whole path components, so `/repo2` is not in `/repo`. */
export function isPathInside(root: string, child: string): boolean {
  if (child === root) return true;
  const base = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return child.startsWith(base);
}

/**
 * Checks a client-supplied project root and returns it unchanged: it must be an absolute path to an
 * existing directory that already is its own canonical form (`realpath`: no symlink components, no `.`/`..`
 * segments, no doubled or trailing slash except for `/`). Otherwise `invalid_request` with
 * `details = { field: "projectRoot", projectRoot, reason }` (plus `canonical` when `not_canonical`).
 * A path containing a NUL byte names no file and is refused as `not_found`.
 */
export function canonicalProjectRoot(projectRoot: string): string {
  if (typeof projectRoot !== "string" || !path.isAbsolute(projectRoot)) {
    throw refuseRoot(projectRoot, "not_absolute", "projectRoot must be an absolute path.");
  }
  if (projectRoot.includes("\0")) {
    throw refuseRoot(projectRoot, "not_found", "projectRoot must not contain NUL bytes.");
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(projectRoot);
  } catch {
    throw refuseRoot(
      projectRoot,
      "not_found",
      `projectRoot ${projectRoot} does not exist or is not accessible.`,
    );
  }
  if (!stat.isDirectory()) {
    throw refuseRoot(projectRoot, "not_directory", `projectRoot ${projectRoot} is not a directory.`);
  }
  let canonical: string;
  try {
    canonical = fs.realpathSync.native(projectRoot);
  } catch {
    throw refuseRoot(projectRoot, "not_found", `projectRoot ${projectRoot} could not be resolved.`);
  }
  if (canonical !== projectRoot) {
    throw refuseRoot(
      projectRoot,
      "not_canonical",
      `projectRoot must be canonical (no symlinks, '.', '..', or trailing slash): use ${canonical}.`,
      { canonical },
    );
  }
  return canonical;
}

/**
 * The canonical working directory for a session under `root` (itself checked with `canonicalProjectRoot`).
 * `cwd` defaults to the root; a relative `cwd` is taken relative to the root. The result has every symlink
 * resolved and must be the root or inside it, and must be an existing directory. Otherwise
 * `invalid_request` with `details = { field: "cwd", cwd, reason }`, reason `outside_root`, `not_found` or
 * `not_directory` (a missing path that would lie outside the root anyway is reported as `outside_root`).
 */
export function resolveCwdInsideRoot(root: string, cwd?: string | null): string {
  const canonicalRoot = canonicalProjectRoot(root);
  if (cwd === undefined || cwd === null) return canonicalRoot;
  if (typeof cwd !== "string") throw refuseCwd(cwd, "not_found", "cwd must be a path string.");
  if (cwd.includes("\0")) throw refuseCwd(cwd, "not_found", "cwd must not contain NUL bytes.");

  const candidate = path.resolve(canonicalRoot, cwd);
  let real: string;
  try {
    real = fs.realpathSync.native(candidate);
  } catch {
    if (!isPathInside(canonicalRoot, candidate)) {
      throw refuseCwd(cwd, "outside_root", `cwd must be inside the project root ${canonicalRoot}.`);
    }
    throw refuseCwd(cwd, "not_found", `cwd ${candidate} does not exist or is not accessible.`);
  }
  if (!isPathInside(canonicalRoot, real)) {
    throw refuseCwd(
      cwd,
      "outside_root",
      `cwd must be inside the project root ${canonicalRoot} (it resolves to ${real}).`,
    );
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(real);
  } catch {
    throw refuseCwd(cwd, "not_found", `cwd ${real} does not exist or is not accessible.`);
  }
  if (!stat.isDirectory()) throw refuseCwd(cwd, "not_directory", `cwd ${real} is not a directory.`);
  return real;
}
