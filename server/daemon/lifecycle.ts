import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import { daemonLogFile, logTail } from "./daemon-log.js";
import { readDaemonMetadata, removeDaemonMetadata } from "./daemon-metadata.js";
import { type DaemonIdentity, identifyDaemon, processAlive } from "./daemon-process.js";
import { probeHealth } from "./health-probe.js";
import { type CovenPaths, prepareCovenHome } from "./home.js";
import { readLockPid, releaseLockOf } from "./instance-lock.js";
import { socketAnswers } from "./socket-probe.js";

/**
 * `coven daemon start|status|stop`: managing a background daemon from another process. Only node builtins and
 * undici are imported here (no SQLite, fastify or node-pty), so the CLI loads it cheaply.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------- status

export interface RunningStatus {
  state: "running";
  ok: true;
  pid: number;
  home: string;
  socket: string;
  startedAt: string;
  uptimeSeconds: number;
  apiVersion: string;
  covenVersion: string;
  warnings: string[];
}

export interface StaleStatus {
  state: "stale";
  ok: false;
  /** The pid the leftovers name (daemon.json first, then the lock), when they name one. */
  pid: number | null;
  home: string;
  socket: string;
  reason: string;
  /** Files a daemon that did not stop cleanly left behind. */
  leftovers: string[];
  /** What to do about it, which depends on the reason. */
  hint: string;
  warnings: string[];
}

export interface StoppedStatus {
  state: "stopped";
  ok: false;
  home: string;
  socket: string;
  warnings: string[];
}

export type DaemonStatus = RunningStatus | StaleStatus | StoppedStatus;

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function metadataWarnings(paths: CovenPaths): {
  trustedPid: number | null;
  invalid: boolean;
  warnings: string[];
} {
  const reading = readDaemonMetadata(paths.daemonJson, paths.socket);
  switch (reading.kind) {
    case "trusted":
      return { trustedPid: reading.metadata.pid, invalid: false, warnings: [] };
    case "foreign":
      return {
        trustedPid: null,
        invalid: false,
        warnings: [
          `ignored ${paths.daemonJson}: it names the socket ${reading.metadata.socket}, not this home's ${paths.socket}`,
        ],
      };
    case "invalid":
      return {
        trustedPid: null,
        invalid: true,
        warnings: [`ignored ${paths.daemonJson}: ${reading.problem}`],
      };
    case "missing":
      return { trustedPid: null, invalid: false, warnings: [] };
  }
}

/**
 * Running when the daemon answers health on this home's socket; otherwise stale when a daemon left files
 * behind (trusted `daemon.json`, the socket file, the lock), otherwise stopped. Never creates anything.
 */
export async function getDaemonStatus(paths: CovenPaths): Promise<DaemonStatus> {
  const { trustedPid, invalid, warnings } = metadataWarnings(paths);
  const health = await probeHealth(paths.socket);
  if (health) {
    if (trustedPid !== null && trustedPid !== health.pid) {
      warnings.push(`${paths.daemonJson} names pid ${trustedPid}, but pid ${health.pid} answers`);
    }
    const startedMs = Date.parse(health.startedAt);
    return {
      state: "running",
      ok: true,
      pid: health.pid,
      home: paths.home,
      socket: paths.socket,
      startedAt: health.startedAt,
      uptimeSeconds: Number.isNaN(startedMs) ? 0 : Math.max(0, Math.floor((Date.now() - startedMs) / 1000)),
      apiVersion: health.apiVersion,
      covenVersion: health.covenVersion,
      warnings,
    };
  }
  const leftovers: string[] = [];
  if (trustedPid !== null || invalid) leftovers.push(paths.daemonJson);
  if (exists(paths.socket)) leftovers.push(paths.socket);
  if (exists(paths.lock)) leftovers.push(paths.lock);
  if (leftovers.length === 0)
    return { state: "stopped", ok: false, home: paths.home, socket: paths.socket, warnings };
  const pid = trustedPid ?? readLockPid(paths.lock);
  const identity = pid === null ? "not-daemon" : await identifyDaemon(pid, paths);
  const stale = { state: "stale" as const, ok: false as const, pid, home: paths.home, socket: paths.socket };
  if (pid !== null && identity !== "not-daemon") {
    return {
      ...stale,
      reason: `pid ${pid} is alive but nothing answers health on ${paths.socket} (still starting, or hung)`,
      leftovers,
      hint: "`coven daemon stop` ends it (SIGTERM, then SIGKILL); then `coven daemon start`",
      warnings,
    };
  }
  // No daemon of this home is alive, yet something accepts connections on its socket: another program's.
  if (exists(paths.socket) && (await socketAnswers(paths.socket))) {
    return {
      ...stale,
      reason: `something that is not a Coven daemon answers on ${paths.socket}`,
      leftovers,
      hint: "coven does not touch a socket another program serves: stop that program, then `coven daemon start`",
      warnings,
    };
  }
  return {
    ...stale,
    reason: `nothing answers on ${paths.socket}; a daemon${pid === null ? "" : ` (pid ${pid})`} did not stop cleanly`,
    leftovers,
    hint: "`coven daemon start` replaces them; `coven daemon stop` removes them",
    warnings,
  };
}

// ------------------------------------------------------------------------------------------------------ stop

export interface StopResult {
  /** `stopped`: a daemon was running and is gone; `not-running`: there was nothing to stop. */
  outcome: "stopped" | "not-running";
  pid: number | null;
  /** SIGKILL was needed because SIGTERM did not end it in time. */
  forced: boolean;
  /** Leftover files that were removed. */
  cleaned: string[];
  warnings: string[];
}

export class DaemonStopError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonStopError";
  }
}

/** The pid to signal, verified to be this home's daemon; null when no daemon is alive. */
async function findDaemonToStop(paths: CovenPaths): Promise<number | null> {
  const health = await probeHealth(paths.socket);
  if (health) return health.pid;
  const reading = readDaemonMetadata(paths.daemonJson, paths.socket);
  const candidates = [reading.kind === "trusted" ? reading.metadata.pid : null, readLockPid(paths.lock)];
  for (const pid of candidates) {
    if (pid === null || pid === process.pid) continue;
    const identity: DaemonIdentity = await identifyDaemon(pid, paths);
    if (identity === "verified") return pid;
    if (identity === "unknown") {
      throw new DaemonStopError(
        `pid ${pid} (named in ${paths.home}) is alive but does not answer health, and this system cannot confirm ` +
          `it is a Coven daemon; not signalling it. Stop it yourself, then run \`coven daemon stop\` again.`,
      );
    }
  }
  return null;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Removes what a dead daemon left behind: a socket nobody answers on, and the `daemon.json` and lock of
 * `stoppedPid` or of a pid that is not a live daemon. Files of a live daemon (a successor) are never touched.
 */
async function cleanLeftovers(paths: CovenPaths, stoppedPid: number | null): Promise<string[]> {
  const cleaned: string[] = [];
  const isGone = async (pid: number) =>
    pid === stoppedPid ? !processAlive(pid) : (await identifyDaemon(pid, paths)) === "not-daemon";
  try {
    if (fs.lstatSync(paths.socket).isSocket() && !(await socketAnswers(paths.socket))) {
      fs.rmSync(paths.socket, { force: true });
      cleaned.push(paths.socket);
    }
  } catch {
    // no socket file
  }
  const reading = readDaemonMetadata(paths.daemonJson, paths.socket);
  if (reading.kind === "invalid" && removeDaemonMetadata(paths.daemonJson)) cleaned.push(paths.daemonJson);
  if (reading.kind === "trusted" && (await isGone(reading.metadata.pid))) {
    if (removeDaemonMetadata(paths.daemonJson, reading.metadata.pid)) cleaned.push(paths.daemonJson);
  }
  const lockPid = readLockPid(paths.lock);
  if (lockPid === null && exists(paths.lock)) {
    fs.rmSync(paths.lock, { force: true });
    cleaned.push(paths.lock);
  } else if (lockPid !== null && (await isGone(lockPid)) && releaseLockOf(paths.lock, lockPid)) {
    cleaned.push(paths.lock);
  }
  return cleaned;
}

/**
 * SIGTERM to the verified daemon pid, a bounded wait for its graceful shutdown, SIGKILL to that same pid only
 * if it is still alive after `timeoutMs`, then cleanup of whatever it left. Stopping a stopped daemon is fine.
 */
export async function stopDaemon(
  paths: CovenPaths,
  options: { timeoutMs?: number } = {},
): Promise<StopResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { warnings } = metadataWarnings(paths);
  const pid = await findDaemonToStop(paths);
  if (pid === null) {
    return {
      outcome: "not-running",
      pid: null,
      forced: false,
      cleaned: await cleanLeftovers(paths, null),
      warnings,
    };
  }
  signal(pid, "SIGTERM");
  let forced = false;
  if (!(await waitForExit(pid, timeoutMs))) {
    // Still alive, so still the process verified above (a pid is not reused while its process exists).
    forced = true;
    signal(pid, "SIGKILL");
    if (!(await waitForExit(pid, 5_000))) {
      throw new DaemonStopError(`pid ${pid} is still alive after SIGTERM and SIGKILL.`);
    }
  }
  return { outcome: "stopped", pid, forced, cleaned: await cleanLeftovers(paths, pid), warnings };
}

// ----------------------------------------------------------------------------------------------------- start

export interface StartOptions {
  /** The CLI entry point the daemon is launched with (`node <cliPath> daemon serve`). */
  cliPath: string;
  /** The environment the daemon gets; COVEN_HOME is set to the resolved home. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  tcp?: string | undefined;
}

export interface StartResult {
  pid: number;
  home: string;
  socket: string;
  startedAt: string;
  apiVersion: string;
  logFile: string;
}

export class DaemonAlreadyRunning extends Error {
  constructor(readonly status: RunningStatus) {
    super(`A Coven daemon is already running (pid ${status.pid}, socket ${status.socket}).`);
    this.name = "DaemonAlreadyRunning";
  }
}

export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly logFile: string,
    readonly logTail: string,
  ) {
    super(message);
    this.name = "DaemonStartError";
  }
}

/** `logs/` is created 0700 and must be a real directory of ours (not a symlink planted elsewhere). */
function prepareLogsDir(paths: CovenPaths): void {
  fs.mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  const stats = fs.lstatSync(paths.logs);
  if (!stats.isDirectory())
    throw new Error(`${paths.logs} is not a directory; move it aside and start again.`);
  fs.chmodSync(paths.logs, 0o700);
}

function openLogForAppend(file: string): number {
  const { O_APPEND, O_CREAT, O_WRONLY, O_NOFOLLOW } = fs.constants;
  return fs.openSync(file, O_APPEND | O_CREAT | O_WRONLY | O_NOFOLLOW, 0o600);
}

async function stopChildGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const killGroup = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  killGroup("SIGTERM");
  if (!(await waitForExit(pid, 5_000))) killGroup("SIGKILL");
}

/**
 * Launches `coven daemon serve` in the background (detached, in its own process group, output appended to
 * `logs/daemon.out`) and returns once the process it launched answers health, with the same pid and start
 * time as its `daemon.json`. Otherwise fails with the reason, including the tail of what the daemon wrote.
 */
export async function startDaemon(paths: CovenPaths, options: StartOptions): Promise<StartResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  prepareCovenHome(paths.home);
  const status = await getDaemonStatus(paths);
  if (status.state === "running") throw new DaemonAlreadyRunning(status);

  prepareLogsDir(paths);
  const logFile = daemonLogFile(paths);
  const fd = openLogForAppend(logFile);
  const offset = fs.fstatSync(fd).size;
  const args = [options.cliPath, "daemon", "serve", ...(options.tcp ? ["--tcp", options.tcp] : [])];
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      // The structured log already goes to logs/daemon-YYYY-MM-DD.log; daemon.out keeps only what is not a log
      // line (a crash's stack trace, a refusal to start).
      env: { COVEN_LOG_STDOUT: "0", ...(options.env ?? process.env), COVEN_HOME: paths.home },
    });
  } finally {
    fs.closeSync(fd);
  }
  // Set from the child's events; an object so the polling loop below reads the current value.
  const launch: { ended: string | null } = { ended: null };
  child.once("exit", (code, signalName) => {
    launch.ended = signalName
      ? `was killed by ${signalName} before answering health`
      : `exited with code ${code} before answering health`;
  });
  child.once("error", (error) => {
    launch.ended = `could not be launched: ${error.message}`;
  });
  const fail = (problem: string) =>
    new DaemonStartError(
      `The daemon ${problem} (socket ${paths.socket}).`,
      logFile,
      logTail(logFile, offset),
    );

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (launch.ended !== null) throw fail(launch.ended);
    const health = child.pid === undefined ? null : await probeHealth(paths.socket, 500);
    if (health && health.pid === child.pid) {
      const reading = readDaemonMetadata(paths.daemonJson, paths.socket);
      if (
        reading.kind === "trusted" &&
        reading.metadata.pid === child.pid &&
        reading.metadata.startedAt === health.startedAt
      ) {
        child.removeAllListeners();
        child.unref();
        return {
          pid: health.pid,
          home: paths.home,
          socket: paths.socket,
          startedAt: health.startedAt,
          apiVersion: health.apiVersion,
          logFile,
        };
      }
    }
    if (Date.now() >= deadline) {
      await stopChildGroup(child);
      throw fail(
        `(pid ${child.pid}) did not answer health within ${Math.round(timeoutMs / 1000)} s and was stopped`,
      );
    }
    await sleep(50);
  }
}
