import { type Command, InvalidArgumentError } from "commander";
import type { ZodType } from "zod";
import type { PruneRequest } from "../../../contract/maintenance.js";
import type { LedgerMaintenance } from "../../ledger/maintenance.js";

type Outcome<T> = { via: "daemon"; result: T } | { via: "direct"; result: T; database: string };

class DaemonRefusedError extends Error {}

function parseDays(value: string): number {
  const days = Number(value);
  if (value.trim() === "" || !Number.isFinite(days) || days < 0 || days > 36_500) {
    throw new InvalidArgumentError("must be a number of days from 0 to 36500");
  }
  return days;
}

/**
 * POSTs to the daemon's REST route over `$COVEN_HOME/coven.sock`. `undefined` when no daemon answers there
 * (no socket, or a stale one): the caller then works on the database itself.
 */
async function callDaemon<T>(route: string, body: unknown, resultSchema: ZodType<T>): Promise<T | undefined> {
  const { resolveCovenHome, covenPaths } = await import("../home.js");
  const { Agent, request } = await import("undici");
  const { socket } = covenPaths(resolveCovenHome(process.env));
  // No timeouts: a prune or vacuum of a large ledger may take a while, and the daemon finishes it regardless.
  const agent = new Agent({ connect: { socketPath: socket }, headersTimeout: 0, bodyTimeout: 0 });
  try {
    const response = await request(`http://localhost/api/v1${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      dispatcher: agent,
    });
    const answer = (await response.body.json()) as { error?: { code: string; message: string } };
    if (response.statusCode !== 200) {
      const { code, message } = answer.error ?? { code: "unknown", message: `HTTP ${response.statusCode}` };
      throw new DaemonRefusedError(`${message} (${code})`);
    }
    // Whatever answers on the socket must answer as the daemon does: a dry run is never reported as a prune.
    const result = resultSchema.safeParse(answer);
    if (!result.success) {
      throw new DaemonRefusedError(
        `What answers on ${socket} is not a Coven daemon of this version: its answer to ${route} is not a result.`,
      );
    }
    return result.data;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ECONNREFUSED" || code === "ENOTSOCK") return undefined;
    throw error;
  } finally {
    await agent.destroy();
  }
}

/** Asks the daemon when it runs; otherwise opens the ledger here (SQLite is loaded only on that path). */
async function maintain<T>(
  route: string,
  body: unknown,
  resultSchema: ZodType<T>,
  offline: (maintenance: LedgerMaintenance) => Promise<T>,
): Promise<Outcome<T>> {
  const answer = await callDaemon(route, body, resultSchema);
  if (answer !== undefined) return { via: "daemon", result: answer };
  const { withOfflineLedger } = await import("../offline-maintenance.js");
  const { result, database } = await withOfflineLedger(process.env, offline);
  return { via: "direct", result, database };
}

function where(outcome: Outcome<unknown>): string {
  return outcome.via === "daemon" ? "by the daemon" : `in ${outcome.database} (no daemon was running)`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit += 1;
  } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Runs a command body; failures print one line and exit 1. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    process.stderr.write(`coven: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

/** `coven logs prune` and `coven vacuum`: retention and upkeep of the session ledger. */
export function registerMaintenanceCommands(program: Command): void {
  const logs = program.command("logs").description("The session ledger's event log");
  logs
    .command("prune")
    .description(
      "Delete events older than the retention window (log_retention_days), except live sessions' events",
    )
    .option("--dry-run", "count what would be deleted, delete nothing")
    .option(
      "--older-than <days>",
      "prune events recorded more than DAYS ago (default: log_retention_days)",
      parseDays,
    )
    .option("--json", "print the result as JSON")
    .action((options: { dryRun?: boolean; olderThan?: number; json?: boolean }) =>
      run(async () => {
        const request: PruneRequest = { dryRun: options.dryRun ?? false };
        if (options.olderThan !== undefined) request.olderThanDays = options.olderThan;
        const { PruneResultSchema } = await import("../../../contract/maintenance.js");
        const outcome = await maintain("/maintenance/prune", request, PruneResultSchema, (m) =>
          m.prune(request),
        );
        const { result } = outcome;
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (result.dryRun) {
          process.stdout.write(
            `Would prune ${result.events} events recorded before ${result.cutoff} (dry run, counted ${where(outcome)}; nothing deleted).\n`,
          );
        } else {
          process.stdout.write(
            `Pruned ${result.events} events recorded before ${result.cutoff} ${where(outcome)}.\n`,
          );
        }
      }),
    );

  program
    .command("vacuum")
    .description("Checkpoint the WAL and VACUUM the session ledger, returning free pages to the filesystem")
    .option("--json", "print the result as JSON")
    .action((options: { json?: boolean }) =>
      run(async () => {
        const { VacuumResultSchema } = await import("../../../contract/maintenance.js");
        const outcome = await maintain("/maintenance/vacuum", {}, VacuumResultSchema, (m) => m.vacuum());
        const { result } = outcome;
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(
            `Vacuumed the ledger ${where(outcome)}: ${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)}.\n`,
          );
        }
      }),
    );
}
