import fs from "node:fs";

/** Read from package.json relative to the built file (dist/clients/cli → package root). */
export function packageVersionSync(): string {
  for (const relative of ["../../../package.json", "../../package.json"]) {
    try {
      const text = fs.readFileSync(new URL(relative, import.meta.url), "utf8");
      const manifest = JSON.parse(text) as { name?: string; version?: string };
      if (manifest.name === "coven" && manifest.version) return manifest.version;
    } catch {
      // try the next candidate
    }
  }
  return "0.0.0";
}
