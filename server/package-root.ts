import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder, found from this file whether it runs from the sources or from dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("package.json not found above the daemon's files");
    dir = parent;
  }
  return dir;
}

export function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

export const OPENAPI_FILE = "openapi/coven.daemon.v1.json";
