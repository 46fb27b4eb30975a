import path from "node:path";
import type { Command } from "commander";

/** An environment setting naming operator files, as the daemon would resolve it from this working directory. */
interface PathSetting {
  env: string;
  /** The raw value, or null when unset. */
  value: string | null;
  paths: string[];
}

/** Every path the daemon would use for this environment; reads nothing from disk and creates nothing. */
async function resolvedPaths(env: NodeJS.ProcessEnv = process.env) {
  // The adapter settings' names live with the manifest loader; imported only here (no SQLite, fastify or PTYs).
  const { ADAPTER_DIRS_ENV, ADAPTER_MANIFEST_ENV } = await import("../../runtime/adapters/manifest.js");
  const { covenPaths, resolveCovenHome } = await import("../home.js");
  const { daemonLogFile } = await import("../daemon-log.js");
  const home = resolveCovenHome(env);
  const paths = covenPaths(home);
  const manifest = env[ADAPTER_MANIFEST_ENV];
  const dirs = env[ADAPTER_DIRS_ENV];
  const adapterManifest: PathSetting = {
    env: ADAPTER_MANIFEST_ENV,
    value: manifest ?? null,
    paths: manifest ? [path.resolve(manifest)] : [],
  };
  const adapterDirs: PathSetting = {
    env: ADAPTER_DIRS_ENV,
    value: dirs ?? null,
    paths: (dirs ?? "")
      .split(path.delimiter)
      .filter((dir) => dir !== "")
      .map((dir) => path.resolve(dir)),
  };
  return {
    home: paths.home,
    homeSource: env.COVEN_HOME?.trim() ? "COVEN_HOME" : "default",
    socket: paths.socket,
    database: paths.database,
    daemonJson: paths.daemonJson,
    lock: paths.lock,
    logs: paths.logs,
    daemonLog: daemonLogFile(paths),
    privacyToml: paths.privacyToml,
    adapterManifest,
    adapterDirs,
  };
}

/** `coven config …`: what the daemon would use, without starting it. */
export function registerConfigCommands(program: Command): void {
  const config = program.command("config").description("Inspect the Coven configuration");
  config
    .command("paths")
    .description(
      "Print every resolved path (COVEN_HOME, socket, database, …) without starting or creating anything",
    )
    .option("--json", "print a JSON object")
    .action(async (options: { json?: boolean }) => {
      const resolved = await resolvedPaths();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
        return;
      }
      const setting = (value: PathSetting) =>
        value.value === null ? "(unset)" : value.paths.join(path.delimiter);
      const rows: [string, string][] = [
        [
          "home",
          `${resolved.home}${resolved.homeSource === "default" ? " (default; COVEN_HOME unset)" : ""}`,
        ],
        ["socket", resolved.socket],
        ["database", resolved.database],
        ["daemon.json", resolved.daemonJson],
        ["lock", resolved.lock],
        ["logs", resolved.logs],
        ["daemon.out", resolved.daemonLog],
        ["privacy.toml", resolved.privacyToml],
        [resolved.adapterManifest.env, setting(resolved.adapterManifest)],
        [resolved.adapterDirs.env, setting(resolved.adapterDirs)],
      ];
      const width = Math.max(...rows.map(([label]) => label.length));
      process.stdout.write(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join(""));
    });
}
