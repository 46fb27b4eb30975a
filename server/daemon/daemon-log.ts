import fs from "node:fs";
import path from "node:path";
import type { CovenPaths } from "./home.js";

/** The background daemon's stdout and stderr (`coven daemon start`), appended across runs. */
export function daemonLogFile(paths: Pick<CovenPaths, "logs">): string {
  return path.join(paths.logs, "daemon.out");
}

/** The last lines the daemon wrote to its log since `offset` (this start's output only). */
export function logTail(file: string, offset: number, maxBytes = 8192, maxLines = 30): string {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const from = Math.max(offset, size - maxBytes);
      const buffer = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString("utf8").trimEnd().split("\n").slice(-maxLines).join("\n");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "";
  }
}
