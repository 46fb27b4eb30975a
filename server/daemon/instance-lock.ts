import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { identifyDaemon } from "./daemon-process.js";
import type { CovenPaths } from "./home.js";
import { DaemonAlreadyRunningError } from "./socket-probe.js";

/** A live daemon holds this home's lock (its message keeps the "already serving" wording of the socket check). */
export class InstanceLockedError extends DaemonAlreadyRunningError {
  constructor(
    socketPath: string,
    readonly lockFile: string,
    readonly holderPid: number,
    unverifiable: boolean,
  ) {
    super(socketPath);
    this.name = "InstanceLockedError";
    this.message = unverifiable
      ? `A Coven daemon may already be serving ${socketPath}: ${lockFile} names pid ${holderPid}, which is alive ` +
        `and cannot be checked on this system; refusing to start a second one. If pid ${holderPid} is not a ` +
        `Coven daemon, remove ${lockFile}.`
      : `A Coven daemon (pid ${holderPid}) is already serving ${socketPath}; refusing to start a second one.`;
  }
}

function uniqueSibling(file: string, suffix: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.${suffix}`,
  );
}

/** The lock's content; `undefined` when the file is missing. */
function readLockText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parsePid(text: string): number | null {
  const trimmed = text.trim();
  return /^[1-9]\d{0,9}$/.test(trimmed) ? Number(trimmed) : null;
}

/**
 * Creates the lock holding `text`, failing (false) when it exists. The pid is written to an exclusively created
 * (O_EXCL) 0600 temp file first and hard-linked into place, so the lock appears atomically with its content:
 * a concurrent starter never reads an empty lock and mistakes it for a stale one.
 */
function tryCreate(file: string, text: string): boolean {
  const temp = uniqueSibling(file, "tmp");
  fs.writeFileSync(temp, text, { flag: "wx", mode: 0o600 });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    // A filesystem without hard links: plain O_EXCL create.
    try {
      fs.writeFileSync(file, text, { flag: "wx", mode: 0o600 });
      return true;
    } catch (fallbackError) {
      if ((fallbackError as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw fallbackError;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Removes a lock judged stale, unless it changed meanwhile: it is renamed aside (atomic; only one racer gets
 * it) and its content compared with what was judged. A fresh lock taken by a concurrent starter in between is
 * linked back into place instead of being deleted.
 */
function breakStaleLock(file: string, judged: string): void {
  const aside = uniqueSibling(file, "stale");
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    if (fs.readFileSync(aside, "utf8") !== judged) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // Someone created a new lock already; theirs stands.
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/**
 * `$COVEN_HOME/daemon.lock`: one serving daemon per home. It holds the pid of its owner; a lock whose pid is
 * dead or is not this home's daemon is stale and is replaced. Held from before the ledger opens until the
 * daemon has closed everything.
 */
export class InstanceLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly pid: number,
  ) {}

  static async acquire(paths: Pick<CovenPaths, "home" | "socket" | "lock">): Promise<InstanceLock> {
    const text = `${process.pid}\n`;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (tryCreate(paths.lock, text)) return new InstanceLock(paths.lock, process.pid);
      const held = readLockText(paths.lock);
      if (held === undefined) continue;
      const holder = parsePid(held);
      if (holder !== null && holder !== process.pid) {
        const identity = await identifyDaemon(holder, paths);
        if (identity !== "not-daemon") {
          throw new InstanceLockedError(paths.socket, paths.lock, holder, identity === "unknown");
        }
      }
      breakStaleLock(paths.lock, held);
    }
    throw new Error(`Could not take ${paths.lock}: other processes keep replacing it.`);
  }

  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    releaseLockOf(this.file, this.pid);
  }
}

/** The pid a lock file names, or null when there is no lock or it holds no pid. */
export function readLockPid(file: string): number | null {
  const text = readLockText(file);
  return text === undefined ? null : parsePid(text);
}

/** Removes the lock only when it names `pid` (used by the owner, and by `stop` after that owner is gone). */
export function releaseLockOf(file: string, pid: number): boolean {
  const text = readLockText(file);
  if (text === undefined || parsePid(text) !== pid) return false;
  breakStaleLock(file, text);
  return true;
}
