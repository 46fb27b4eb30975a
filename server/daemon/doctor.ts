import fs from "node:fs";
import path from "node:path";
import { LATEST_SCHEMA_VERSION } from "../ledger/migrations.js";
import { CRITICAL_FREE_BYTES } from "../ledger/storage.js";
import { loadPrivacyConfig } from "../privacy/config.js";
import {
  ADAPTER_DIRS_ENV,
  ADAPTER_MANIFEST_ENV,
  loadAdapterCatalog,
  resolveExecutable,
} from "../runtime/adapters/index.js";
import { probeHealth } from "./health-probe.js";
import { assertSafeCovenHome, assertSocketPathFits, covenPaths, resolveCovenHome } from "./home.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn/fail. */
  hint?: string;
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  covenHome: string;
  checks: DoctorCheck[];
}

const MIN_NODE = [20, 19];

function checkNode(): DoctorCheck {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const ok = major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!);
  return {
    name: "node",
    status: ok ? "ok" : "fail",
    detail: `Node.js ${process.version}`,
    ...(ok ? {} : { hint: "Coven needs Node.js 20.19 or newer." }),
  };
}

function checkHome(home: string): DoctorCheck {
  try {
    assertSocketPathFits(home);
  } catch (error) {
    return { name: "covenHome", status: "fail", detail: (error as Error).message };
  }
  if (!fs.existsSync(home)) {
    return {
      name: "covenHome",
      status: "warn",
      detail: `${home} does not exist yet`,
      hint: "`coven daemon start` creates it (mode 0700).",
    };
  }
  const stats = fs.lstatSync(home);
  const data = { path: home, mode: (stats.mode & 0o777).toString(8).padStart(3, "0"), uid: stats.uid };
  try {
    assertSafeCovenHome(home);
    return { name: "covenHome", status: "ok", detail: `${home} (mode ${data.mode}, owned by you)`, data };
  } catch (error) {
    return { name: "covenHome", status: "fail", detail: (error as Error).message, data };
  }
}

async function checkDaemon(socket: string): Promise<DoctorCheck> {
  const health = await probeHealth(socket);
  if (!health) {
    return {
      name: "daemon",
      status: "warn",
      detail: `nothing answers on ${socket}`,
      hint: "Start it with `coven daemon start`.",
    };
  }
  const expected = health.apiVersion === "coven.daemon.v1";
  return {
    name: "daemon",
    status: expected ? "ok" : "fail",
    detail: `pid ${health.pid}, ${health.apiVersion}, coven ${health.covenVersion}`,
    data: { ...health },
    ...(expected ? {} : { hint: "The daemon speaks another API version; restart it after upgrading." }),
  };
}

/** Opens the ledger read-only (never creating or migrating it) to read its schema version. */
async function checkStore(database: string): Promise<DoctorCheck> {
  if (!fs.existsSync(database)) {
    return {
      name: "store",
      status: "warn",
      detail: `${database} does not exist yet`,
      hint: "The daemon creates it.",
    };
  }
  try {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(database, { readonly: true, fileMustExist: true });
    try {
      const version = db.pragma("user_version", { simple: true }) as number;
      const quick = db.pragma("quick_check", { simple: true }) as string;
      const data = {
        path: database,
        schemaVersion: version,
        supportedSchemaVersion: LATEST_SCHEMA_VERSION,
        quickCheck: quick,
      };
      if (quick !== "ok") {
        return {
          name: "store",
          status: "fail",
          detail: `quick_check: ${quick}`,
          data,
          hint: "Restore a backup.",
        };
      }
      if (version > LATEST_SCHEMA_VERSION) {
        return {
          name: "store",
          status: "fail",
          detail: `schema ${version} is newer than this build`,
          data,
          hint: "Upgrade coven.",
        };
      }
      const pending =
        version < LATEST_SCHEMA_VERSION ? ` (migrates to ${LATEST_SCHEMA_VERSION} at next start)` : "";
      return { name: "store", status: "ok", detail: `schema version ${version}${pending}`, data };
    } finally {
      db.close();
    }
  } catch (error) {
    return {
      name: "store",
      status: "fail",
      detail: `${database}: ${(error as Error).message}`,
      hint: "Move it aside (or restore a backup); the daemon never overwrites it.",
    };
  }
}

function checkDisk(home: string): DoctorCheck {
  let dir = home;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const stats = fs.statfsSync(dir);
    const free = Number(stats.bavail) * Number(stats.bsize);
    const critical = free < CRITICAL_FREE_BYTES;
    return {
      name: "disk",
      status: critical ? "fail" : "ok",
      detail: `${(free / 2 ** 30).toFixed(1)} GiB free`,
      data: { freeDiskBytes: free },
      ...(critical ? { hint: "Under 256 MiB free: the daemon pauses maintenance. Free some space." } : {}),
    };
  } catch (error) {
    return { name: "disk", status: "warn", detail: `could not measure: ${(error as Error).message}` };
  }
}

function checkAdapters(env: NodeJS.ProcessEnv): DoctorCheck[] {
  const catalog = loadAdapterCatalog(env);
  const checks: DoctorCheck[] = [...catalog.adapters.values()].map((adapter) => {
    const found = resolveExecutable(adapter.executable, env.PATH ?? "");
    return {
      name: `harness:${adapter.id}`,
      // A missing harness is normal (few people install all of them): a warning, not a failure.
      status: found ? "ok" : "warn",
      // The daemon resolves executables on its own PATH, the one it started with, which may differ from this shell's.
      detail: found
        ? `${adapter.executable} → ${found} (on this shell's PATH; the daemon looks on the PATH it started with)`
        : `${adapter.executable} not found on this shell's PATH`,
      data: { executable: adapter.executable, path: found, source: adapter.source },
      ...(found || !adapter.installHint ? {} : { hint: adapter.installHint }),
    };
  });
  for (const problem of catalog.problems) {
    checks.push({
      name: "adapterManifest",
      status: "fail",
      detail: problem.message,
      data: { source: problem.source },
      hint: `Fix the manifest named by ${ADAPTER_MANIFEST_ENV} / ${ADAPTER_DIRS_ENV}.`,
    });
  }
  return checks;
}

/** The daemon refuses to start on a privacy configuration it cannot load; say so before a restart finds out. */
function checkPrivacyConfig(home: string, env: NodeJS.ProcessEnv): DoctorCheck {
  try {
    const config = loadPrivacyConfig(home, env);
    return {
      name: "privacyConfig",
      status: "ok",
      detail: config.source
        ? `${config.source}: retention ${config.logRetentionDays} days, ${config.extraPatterns.length} extra patterns`
        : "no privacy.toml (defaults: built-in patterns only)",
    };
  } catch (error) {
    return {
      name: "privacyConfig",
      status: "fail",
      detail: error instanceof Error ? error.message : String(error),
      hint: "The daemon will not start until this is fixed (see the README's privacy.toml section).",
    };
  }
}

/** Everything an operator (or a bug report) needs to know about this installation; creates nothing. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const home = resolveCovenHome(env);
  const paths = covenPaths(home);
  const checks = [
    checkNode(),
    checkHome(home),
    await checkDaemon(paths.socket),
    await checkStore(paths.database),
    checkDisk(home),
    checkPrivacyConfig(home, env),
    ...checkAdapters(env),
  ];
  return { ok: checks.every((check) => check.status !== "fail"), covenHome: home, checks };
}

export function formatDoctorReport(report: DoctorReport, color: boolean): string {
  const mark = {
    ok: color ? "\x1b[32m✓\x1b[0m" : "ok  ",
    warn: color ? "\x1b[33m!\x1b[0m" : "warn",
    fail: color ? "\x1b[31m✗\x1b[0m" : "FAIL",
  };
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = report.checks.map((check) => {
    const hint = check.hint && check.status !== "ok" ? `\n${" ".repeat(width + 8)}${check.hint}` : "";
    return `${mark[check.status]}  ${check.name.padEnd(width)}  ${check.detail}${hint}`;
  });
  return `${lines.join("\n")}\n${report.ok ? "No problems found." : "Problems found (FAIL above)."}\n`;
}
