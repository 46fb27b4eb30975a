import fs from "node:fs";
import { type Command, InvalidArgumentError } from "commander";

/** LSB-style exit codes of `coven daemon status`. */
const STATUS_EXIT_CODES = { running: 0, stale: 1, stopped: 3 } as const;
/** `status` could not find out (LSB "unknown"). */
const STATUS_UNKNOWN_EXIT_CODE = 4;

// Loaded only when a command runs, so `coven --help` stays light; none of it pulls in SQLite, fastify or PTYs.
const loadLifecycle = () => import("../lifecycle.js");
type Lifecycle = Awaited<ReturnType<typeof loadLifecycle>>;

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InvalidArgumentError("must be a positive number of seconds");
  return seconds;
}

function formatUptime(totalSeconds: number): string {
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

function printError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`coven: ${message}\n`);
  if (error instanceof Error && "logTail" in error && "logFile" in error) {
    const tail = String(error.logTail);
    process.stderr.write(
      tail
        ? `--- last lines of ${error.logFile} ---\n${tail}\n`
        : `(the daemon wrote nothing to ${error.logFile})\n`,
    );
  }
}

/** This home's paths; the daemon-side module is loaded only by the commands that manage the daemon. */
async function homePaths() {
  const { covenPaths, resolveCovenHome } = await import("../home.js");
  return covenPaths(resolveCovenHome());
}

/** Why a daemon started now on this home would refuse to start (home, privacy.toml, `--tcp`), if it would. */
async function startRefusal(tcp: string | undefined): Promise<string | undefined> {
  const { assertSafeCovenHome, resolveCovenHome } = await import("../home.js");
  const { readStartupConfig } = await import("../startup-config.js");
  const home = resolveCovenHome();
  try {
    if (fs.existsSync(home)) assertSafeCovenHome(home);
    readStartupConfig(home, process.env, tcp);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) process.stderr.write(`coven: warning: ${warning}\n`);
}

async function runStart(
  lifecycle: Lifecycle,
  cliEntry: string,
  options: { timeout: number; tcp?: string },
): Promise<boolean> {
  const paths = await homePaths();
  try {
    const started = await lifecycle.startDaemon(paths, {
      cliPath: cliEntry,
      timeoutMs: options.timeout * 1000,
      tcp: options.tcp,
    });
    process.stdout.write(
      `coven daemon started: pid ${started.pid}, socket ${started.socket}\n  log: ${started.logFile}\n`,
    );
    return true;
  } catch (error) {
    printError(error);
    return false;
  }
}

async function runStop(lifecycle: Lifecycle, options: { timeout: number }): Promise<boolean> {
  const paths = await homePaths();
  try {
    const result = await lifecycle.stopDaemon(paths, { timeoutMs: options.timeout * 1000 });
    printWarnings(result.warnings);
    if (result.outcome === "not-running") {
      process.stdout.write(`coven daemon is not running (home ${paths.home}); nothing to stop\n`);
    } else if (result.forced) {
      process.stdout.write(
        `coven daemon stopped: pid ${result.pid} ignored SIGTERM for ${options.timeout} s and was killed (SIGKILL)\n`,
      );
    } else {
      process.stdout.write(`coven daemon stopped (pid ${result.pid})\n`);
    }
    if (result.cleaned.length > 0)
      process.stdout.write(`  removed leftovers: ${result.cleaned.join(", ")}\n`);
    return true;
  } catch (error) {
    printError(error);
    return false;
  }
}

/**
 * `coven daemon …`: running and managing the daemon. Actions import their code only when they run. `cliEntry` is
 * the `coven` entry point, which `start` launches in the background as `node <cliEntry> daemon serve`.
 */
export function registerDaemonCommands(program: Command, cliEntry: string): void {
  const daemon = program.command("daemon").description("Run and manage the Coven daemon");
  daemon
    .command("serve")
    .description("Run the daemon in the foreground (for supervisors); SIGINT/SIGTERM stop it gracefully")
    .option("--tcp <host:port>", "also listen on a loopback TCP address (off by default)")
    .action(async (options: { tcp?: string }) => {
      // Loaded only for this command: other commands never pull the daemon (or SQLite) into the CLI process.
      const { runForeground } = await import("../foreground.js");
      await runForeground(options);
    });

  daemon
    .command("start")
    .description("Start the daemon in the background; returns once it answers health")
    .option("--timeout <seconds>", "how long to wait for the daemon to answer", positiveSeconds, 30)
    .option("--tcp <host:port>", "also listen on a loopback TCP address (off by default)")
    .action(async (options: { timeout: number; tcp?: string }) => {
      if (!(await runStart(await loadLifecycle(), cliEntry, options))) process.exitCode = 1;
    });

  daemon
    .command("status")
    .description(
      "Say whether the daemon is running (exit 0), stale (exit 1) or stopped (exit 3); 4 if it cannot tell",
    )
    .option("--json", "print a JSON object (`state`, `ok`, …)")
    .action(async (options: { json?: boolean }) => {
      const { getDaemonStatus } = await loadLifecycle();
      let status: Awaited<ReturnType<typeof getDaemonStatus>>;
      try {
        status = await getDaemonStatus(await homePaths());
      } catch (error) {
        printError(error);
        process.exitCode = STATUS_UNKNOWN_EXIT_CODE;
        return;
      }
      process.exitCode = STATUS_EXIT_CODES[status.state];
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      printWarnings(status.warnings);
      switch (status.state) {
        case "running":
          process.stdout.write(
            [
              "coven daemon: running",
              `  pid      ${status.pid}`,
              `  socket   ${status.socket}`,
              `  uptime   ${formatUptime(status.uptimeSeconds)} (since ${status.startedAt})`,
              `  api      ${status.apiVersion} (coven ${status.covenVersion})`,
              "",
            ].join("\n"),
          );
          break;
        case "stale":
          process.stdout.write(
            [
              `coven daemon: stale: ${status.reason}`,
              `  leftovers  ${status.leftovers.join(", ")}`,
              `  ${status.hint}`,
              "",
            ].join("\n"),
          );
          break;
        case "stopped":
          process.stdout.write(`coven daemon: stopped (home ${status.home})\n`);
          break;
      }
    });

  daemon
    .command("stop")
    .description("Stop the daemon gracefully (SIGTERM, then SIGKILL after the timeout); not running is fine")
    .option("--timeout <seconds>", "how long to wait for a graceful stop before SIGKILL", positiveSeconds, 15)
    .action(async (options: { timeout: number }) => {
      if (!(await runStop(await loadLifecycle(), options))) process.exitCode = 1;
    });

  daemon
    .command("restart")
    .description("Stop the daemon (if running), then start it in the background")
    .option("--timeout <seconds>", "bound for each of the stop and the start", positiveSeconds)
    .option("--tcp <host:port>", "also listen on a loopback TCP address (off by default)")
    .action(async (options: { timeout?: number; tcp?: string }) => {
      // What would stop the new daemon from starting is checked before the running one is stopped.
      const refusal = await startRefusal(options.tcp);
      if (refusal) {
        process.stderr.write(`coven: not restarting, the running daemon was left alone: ${refusal}\n`);
        process.exitCode = 1;
        return;
      }
      const lifecycle = await loadLifecycle();
      const stopped = await runStop(lifecycle, { timeout: options.timeout ?? 15 });
      const started =
        stopped &&
        (await runStart(lifecycle, cliEntry, { timeout: options.timeout ?? 30, tcp: options.tcp }));
      if (!started) process.exitCode = 1;
    });
}
