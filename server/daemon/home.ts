import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Every file the daemon keeps under COVEN_HOME. */
export interface CovenPaths {
  home: string;
  socket: string;
  database: string;
  daemonJson: string;
  lock: string;
  logs: string;
  privacyToml: string;
}

export function resolveCovenHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.COVEN_HOME?.trim();
  return path.resolve(configured ? configured : path.join(os.homedir(), ".coven"));
}

export function covenPaths(home: string): CovenPaths {
  return {
    home,
    socket: path.join(home, "coven.sock"),
    database: path.join(home, "coven.sqlite3"),
    daemonJson: path.join(home, "daemon.json"),
    lock: path.join(home, "daemon.lock"),
    logs: path.join(home, "logs"),
    privacyToml: path.join(home, "privacy.toml"),
  };
}

export class UnsafeCovenHomeError extends Error {
  constructor(home: string, problem: string, fix: string) {
    super(`COVEN_HOME ${home} ${problem}; the daemon refuses to start. ${fix}`);
    this.name = "UnsafeCovenHomeError";
  }
}

/**
 * The trust boundary is "same OS user can open the socket", so the directory holding the socket must be ours
 * alone: not a symlink (which could be re-pointed), owned by us, and writable by nobody else.
 */
export function assertSafeCovenHome(home: string): void {
  assertSocketPathFits(home);
  const stats = fs.lstatSync(home);
  if (stats.isSymbolicLink()) {
    throw new UnsafeCovenHomeError(home, "is a symlink", "Point COVEN_HOME at the real directory.");
  }
  if (!stats.isDirectory()) {
    throw new UnsafeCovenHomeError(home, "is not a directory", "Remove it or choose another COVEN_HOME.");
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new UnsafeCovenHomeError(
      home,
      `is owned by uid ${stats.uid}, not by this user (uid ${uid})`,
      "Use a COVEN_HOME of your own.",
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, "0");
    throw new UnsafeCovenHomeError(
      home,
      `is group- or world-writable (mode ${mode})`,
      `Run \`chmod 700 ${home}\` and start again.`,
    );
  }
}

/** Linux's limit on a Unix socket's path: `sun_path` holds 108 bytes, the last of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * A longer socket path is not refused by the kernel but cut short: the daemon would listen on another path (in
 * the parent directory, outside COVEN_HOME) that no client looks for.
 */
export function assertSocketPathFits(home: string): void {
  const { socket } = covenPaths(home);
  const bytes = Buffer.byteLength(socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new UnsafeCovenHomeError(
      home,
      `is too long for a Unix socket: ${socket} is ${bytes} bytes, the limit is ${MAX_SOCKET_PATH_BYTES}`,
      "Choose a shorter COVEN_HOME.",
    );
  }
}

/** Creates COVEN_HOME 0700 when it is missing, then checks it is safe to serve from. */
export function prepareCovenHome(home: string): CovenPaths {
  assertSocketPathFits(home);
  if (!fs.existsSync(home)) {
    const parent = path.dirname(home);
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(home, { mode: 0o700 });
  }
  assertSafeCovenHome(home);
  return covenPaths(home);
}
