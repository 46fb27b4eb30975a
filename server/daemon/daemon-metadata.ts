import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * `$COVEN_HOME/daemon.json`: who is serving this home. Written by the serving daemon once it listens, removed
 * when it stops gracefully; after a crash it stays behind and is recognised as stale because nothing healthy
 * answers on its socket. It is a hint for clients, never proof: the health handshake is.
 */
export interface DaemonMetadata {
  pid: number;
  socket: string;
  /** Equal to `daemon.startedAt` in the health answer of the same process. */
  startedAt: string;
  /** The coven package version of the serving daemon. */
  version: string;
}

/** Writes the file atomically (a 0600 temp file in the same directory, then rename), so readers never see half. */
export function writeDaemonMetadata(file: string, metadata: DaemonMetadata): void {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}`,
  );
  try {
    const fd = fs.openSync(temp, "wx", 0o600);
    try {
      fs.writeFileSync(fd, `${JSON.stringify(metadata, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

function isMetadata(value: unknown): value is DaemonMetadata {
  if (typeof value !== "object" || value === null) return false;
  const { pid, socket, startedAt, version } = value as Record<string, unknown>;
  return (
    typeof pid === "number" &&
    Number.isInteger(pid) &&
    pid > 0 &&
    typeof socket === "string" &&
    typeof startedAt === "string" &&
    typeof version === "string"
  );
}

export type MetadataReading =
  | { kind: "missing" }
  /** Unreadable or not the expected shape (a torn write by something other than us, or hand-edited). */
  | { kind: "invalid"; problem: string }
  /** Well-formed, but names another home's socket: copied or left from elsewhere, so never acted upon. */
  | { kind: "foreign"; metadata: DaemonMetadata }
  | { kind: "trusted"; metadata: DaemonMetadata };

/** Reads `daemon.json`, trusting it only when its socket is this home's socket. */
export function readDaemonMetadata(file: string, expectedSocket: string): MetadataReading {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "invalid", problem: (error as Error).message };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "invalid", problem: `${file} is not valid JSON` };
  }
  if (!isMetadata(parsed))
    return { kind: "invalid", problem: `${file} lacks pid, socket, startedAt or version` };
  const metadata: DaemonMetadata = {
    pid: parsed.pid,
    socket: parsed.socket,
    startedAt: parsed.startedAt,
    version: parsed.version,
  };
  return path.resolve(metadata.socket) === path.resolve(expectedSocket)
    ? { kind: "trusted", metadata }
    : { kind: "foreign", metadata };
}

/**
 * Removes `daemon.json`. With `onlyForPid`, only when the file still names that pid (so a stopping daemon
 * never deletes the metadata of a successor that has already replaced it).
 */
export function removeDaemonMetadata(file: string, onlyForPid?: number): boolean {
  if (onlyForPid !== undefined) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown };
      if (parsed.pid !== onlyForPid) return false;
    } catch {
      return false;
    }
  }
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
