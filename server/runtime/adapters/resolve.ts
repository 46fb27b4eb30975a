import fs from "node:fs";
import path from "node:path";

/** A bare command name: no path separators, no NUL, not `.` or `..`. */
function isBareName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\0");
}

/**
 * Finds `name` on `pathEnv` the way a shell would, without a shell: the first absolute PATH entry holding a
 * regular file (symlinks followed) that the current user may execute. Empty and relative PATH entries are
 * skipped (they would resolve against the daemon's cwd). Returns the absolute path (`<entry>/<name>`, not
 * realpath'd) or `null`. A name that is not bare (contains `/`, is `.`/`..`) is never resolved.
 */
export function resolveExecutable(name: string, pathEnv: string = process.env.PATH ?? ""): string | null {
  if (!isBareName(name)) return null;
  for (const entry of pathEnv.split(path.delimiter)) {
    if (entry === "" || !path.isAbsolute(entry) || entry.includes("\0")) continue;
    const candidate = path.join(entry, name);
    try {
      if (!fs.statSync(candidate).isFile()) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Missing, unreadable or not executable: keep looking.
    }
  }
  return null;
}
