import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { probeHealth } from "./health-probe.js";

/**
 * Questions about another process, asked before trusting a pid found in a file: is it alive, and is it a Coven
 * daemon serving this COVEN_HOME? A pid in a lock or `daemon.json` may have been reused by an unrelated
 * process after a crash, so a pid alone is never enough to refuse a start or to send a signal.
 */

const PROC = "/proc";

function hasProcFs(): boolean {
  return fs.existsSync(path.join(PROC, "self", "cmdline"));
}

/**
 * True while `pid` exists and has not finished exiting. An exited child nobody reaped stays a zombie; its
 * thread-group leader turns zombie before its other threads are gone, and only when the last one has exited
 * are its files (the listening socket) closed. So a zombie counts as dead only once it is down to one thread.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  let status: string;
  try {
    status = fs.readFileSync(path.join(PROC, String(pid), "status"), "utf8");
  } catch (error) {
    // No /proc on this system: signal 0 is all we can know. Gone since: dead.
    return (error as NodeJS.ErrnoException).code !== "ENOENT" || !hasProcFs();
  }
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? "1");
  return !((state === "Z" || state === "X") && threads <= 1);
}

function readNulSeparated(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\0")
    .filter((part) => part !== "");
}

/**
 * Our CLI as it appears in a command line: the built entry point (`bin/coven.js`; `clients/cli/main.js` in builds
 * before it, so a daemon started by one is still recognised, and stopped, after an upgrade), or the installed
 * `coven` bin.
 */
function isCovenEntryPoint(arg: string): boolean {
  const normalized = arg.split(path.sep).join("/");
  return /(^|\/)(bin\/coven\.js|clients\/cli\/main\.js|coven)$/.test(normalized);
}

/** The command line runs our CLI's `daemon serve` (possibly with options after it). */
export function isDaemonServeCommandLine(args: readonly string[]): boolean {
  const serveAt = args.findIndex((arg, index) => arg === "daemon" && args[index + 1] === "serve");
  return serveAt > 0 && args.slice(0, serveAt).some(isCovenEntryPoint);
}

/** The COVEN_HOME a process resolved at exec time, from its environment and working directory. */
function homeOfProcess(pid: number): string | undefined {
  let environ: string[];
  try {
    environ = readNulSeparated(path.join(PROC, String(pid), "environ"));
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of environ) {
    const equals = entry.indexOf("=");
    if (equals > 0) env.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  const configured = env.get("COVEN_HOME")?.trim();
  if (!configured) return path.join(env.get("HOME") ?? os.homedir(), ".coven");
  if (path.isAbsolute(configured)) return path.resolve(configured);
  try {
    return path.resolve(fs.readlinkSync(path.join(PROC, String(pid), "cwd")), configured);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live `coven daemon serve` for `home`, judged from `/proc/<pid>/cmdline` (and, when
 * readable, the COVEN_HOME in its environment). `undefined` when this system cannot tell (no `/proc`).
 */
export function isCovenDaemonProcess(pid: number, home: string): boolean | undefined {
  if (!processAlive(pid)) return false;
  if (!hasProcFs()) return undefined;
  let args: string[];
  try {
    args = readNulSeparated(path.join(PROC, String(pid), "cmdline"));
  } catch {
    // Gone between the two checks, or hidden from us: either way not a daemon we may signal.
    return false;
  }
  if (!isDaemonServeCommandLine(args)) return false;
  const theirHome = homeOfProcess(pid);
  return theirHome === undefined || theirHome === path.resolve(home);
}

/** `verified`: a Coven daemon for this home; `not-daemon`: dead or something else; `unknown`: cannot tell. */
export type DaemonIdentity = "verified" | "not-daemon" | "unknown";

/**
 * Decides whether `pid` (read from a lock or `daemon.json`) is really this home's daemon before anyone refuses
 * a start or sends a signal because of it: either its health answers on our socket with that pid, or its
 * command line is our CLI's `daemon serve` for this home.
 */
export async function identifyDaemon(
  pid: number,
  where: { home: string; socket: string },
): Promise<DaemonIdentity> {
  if (!processAlive(pid)) return "not-daemon";
  const health = await probeHealth(where.socket);
  if (health?.pid === pid) return "verified";
  const byCommandLine = isCovenDaemonProcess(pid, where.home);
  if (byCommandLine === undefined) return "unknown";
  return byCommandLine ? "verified" : "not-daemon";
}
