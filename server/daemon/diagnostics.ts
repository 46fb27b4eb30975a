import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { Agent, request } from "undici";
import { loadPrivacyConfig } from "../privacy/config.js";
import { Redactor } from "../privacy/redactor.js";
import { runDoctor } from "./doctor.js";
import { covenPaths, resolveCovenHome } from "./home.js";
import { getDaemonStatus } from "./lifecycle.js";

const RECENT_LOG_LINES = 500;

export interface BundleOptions {
  env?: NodeJS.ProcessEnv;
  output?: string;
  /** Session records and their log previews (prompts and outputs): only when the operator asks. */
  includeSessions?: boolean;
}

async function getJson(socketPath: string, urlPath: string): Promise<unknown> {
  const agent = new Agent({ connect: { socketPath, timeout: 2000 } });
  try {
    const response = await request(`http://localhost${urlPath}`, { dispatcher: agent, headersTimeout: 5000 });
    return await response.body.json();
  } catch (error) {
    return { unavailable: (error as Error).message };
  } finally {
    await agent.destroy();
  }
}

function recentLogLines(logs: string, count: number): string {
  let files: string[];
  try {
    files = fs
      .readdirSync(logs)
      .filter((name) => /^daemon-\d{4}-\d{2}-\d{2}\.log$/.test(name))
      .sort();
  } catch {
    return "";
  }
  const lines: string[] = [];
  for (const name of files.reverse()) {
    const text = fs.readFileSync(path.join(logs, name), "utf8").trimEnd();
    lines.unshift(...text.split("\n"));
    if (lines.length >= count) break;
  }
  return `${lines.slice(-count).join("\n")}\n`;
}

/** A bundle that could not be written, and why (the CLI prints it as one line). */
export class BundleError extends Error {
  constructor(reason: string) {
    super(`No diagnostics bundle was written: ${reason}.`);
    this.name = "BundleError";
  }
}

/** The operator's extra patterns: without them the bundle could hold what they were written to hide. */
function bundleExtraPatterns(home: string, env: NodeJS.ProcessEnv): RegExp[] {
  try {
    return loadPrivacyConfig(home, env).extraPatterns;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BundleError(`its redaction needs privacy.toml, which cannot be loaded (${reason})`);
  }
}

/**
 * Where the archive goes: the given file, or a fresh name in the given directory (the current one by default).
 * A symlink is refused, since the archive is made owner-only (0600) and that would change what it points at.
 */
function bundlePath(requested: string | undefined): string {
  const name = `coven-diagnostics-${new Date().toISOString().replace(/[:.]/g, "-")}.tar.gz`;
  let output = path.resolve(requested ?? name);
  if (requested !== undefined && fs.statSync(output, { throwIfNoEntry: false })?.isDirectory()) {
    output = path.join(output, name);
  }
  if (fs.lstatSync(output, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new BundleError(`${output} is a symlink`);
  }
  const directory = path.dirname(output);
  if (!fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BundleError(`${directory} is not an existing directory`);
  }
  return output;
}

/**
 * Writes a redacted archive for bug reports: status, health, capabilities, doctor, recent daemon log lines and
 * the schema version. Prompts and outputs are left out unless `includeSessions` is set. Returns its path.
 */
export async function writeDiagnosticsBundle(options: BundleOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const paths = covenPaths(resolveCovenHome(env));
  const redactor = new Redactor(bundleExtraPatterns(paths.home, env));
  const output = bundlePath(options.output);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "coven-diagnostics-"));
  const folder = path.join(staging, "coven-diagnostics");
  fs.mkdirSync(folder, { mode: 0o700 });
  const write = (name: string, value: unknown) => {
    const text = typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`;
    fs.writeFileSync(path.join(folder, name), redactor.redact(text), { mode: 0o600 });
  };
  try {
    const status = await getDaemonStatus(paths);
    write("status.json", status);
    write("doctor.json", await runDoctor(env));
    if (status.state === "running") {
      write("health.json", await getJson(paths.socket, "/api/v1/health"));
      write("capabilities.json", await getJson(paths.socket, "/api/v1/capabilities"));
      if (options.includeSessions) {
        const sessions = (await getJson(paths.socket, "/api/v1/sessions?limit=50&includeArchived=true")) as {
          sessions?: { id: string }[];
        };
        write("sessions.json", sessions);
        for (const session of sessions.sessions ?? []) {
          write(
            `session-${session.id}-log.json`,
            await getJson(paths.socket, `/api/v1/sessions/${session.id}/log`),
          );
        }
      }
    }
    write("daemon-log-recent.jsonl", recentLogLines(paths.logs, RECENT_LOG_LINES));
    write("environment.json", {
      platform: process.platform,
      arch: process.arch,
      node: process.version,
      covenHome: paths.home,
      includesSessions: options.includeSessions === true,
    });
    await createTar({ gzip: true, file: output, cwd: staging, portable: true }, ["coven-diagnostics"]);
    fs.chmodSync(output, 0o600);
    return output;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
