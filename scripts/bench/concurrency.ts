import { percentile } from "./common.js";
import {
  type BenchClient,
  type EventRecord,
  sleep,
  wallNow,
  withHarnessDaemon,
  writeHarnessFixture,
} from "./harness-fixtures.js";

/**
 * 1, 8 and 32 concurrent chatty sessions for BENCH_CHATTY_SECONDS (default 60) each: the writer must never report
 * `failed`, no lifecycle event may be lost (every session has its launch and exit), and the p95 of launch → first
 * output event is reported. Health is sampled every 500 ms throughout.
 */
const SECONDS = Number(process.env.BENCH_CHATTY_SECONDS ?? 60);
const LEVELS = (process.env.BENCH_CHATTY_LEVELS ?? "1,8,32").split(",").map(Number);

export const CHATTY_HARNESS = {
  id: "bench-chatty",
  label: "Bench chatty",
  // Prints a numbered line every 10 ms for the number of seconds in its prompt, then exits 0.
  source: `
const seconds = Number(process.argv.at(-1)) || 60;
const until = Date.now() + seconds * 1000;
let line = 0;
const timer = setInterval(() => {
  process.stdout.write("chatty line " + line++ + " " + "x".repeat(80) + "\\n");
  if (Date.now() >= until) { clearInterval(timer); process.stdout.write("done\\n", () => process.exit(0)); }
}, 10);
`,
};

export interface ConcurrencyLevelResult {
  sessions: number;
  writerFailed: boolean;
  lifecycleLost: number;
  launchToFirstOutputP50Ms: number;
  launchToFirstOutputP95Ms: number;
  outputEvents: number;
}

export interface ConcurrencyResult {
  seconds: number;
  levels: ConcurrencyLevelResult[];
  met: boolean;
}

async function firstOutputLatency(client: BenchClient, id: string, launchedAt: number): Promise<number> {
  for await (const message of client.stream(id)) {
    const event = JSON.parse(message.data) as EventRecord;
    if (event.kind === "output") return wallNow() - launchedAt;
  }
  throw new Error(`session ${id} ended without output`);
}

async function runLevel(
  client: BenchClient,
  projectRoot: string,
  sessions: number,
): Promise<ConcurrencyLevelResult> {
  let writerFailed = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const health = await client.health();
      if (health.eventWriter.state === "failed") writerFailed = true;
      await sleep(500);
    }
  })();
  const launched = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const launchedAt = wallNow();
      const record = await client.launch(projectRoot, CHATTY_HARNESS.id, String(SECONDS));
      return { id: record.id, latency: firstOutputLatency(client, record.id, launchedAt) };
    }),
  );
  const latencies = await Promise.all(launched.map((session) => session.latency));
  await Promise.all(launched.map((session) => client.waitForTerminal(session.id, 250)));
  sampling = false;
  await sampler;
  let lifecycleLost = 0;
  let outputEvents = 0;
  for (const session of launched) {
    const kinds: string[] = [];
    await client.forEachEvent(session.id, (event) => kinds.push(event.kind));
    outputEvents += kinds.filter((kind) => kind === "output").length;
    if (!kinds.includes("launch")) lifecycleLost += 1;
    if (kinds.at(-1) !== "exit") lifecycleLost += 1;
  }
  return {
    sessions,
    writerFailed,
    lifecycleLost,
    launchToFirstOutputP50Ms: percentile(latencies, 50),
    launchToFirstOutputP95Ms: percentile(latencies, 95),
    outputEvents,
  };
}

export async function benchConcurrency(): Promise<ConcurrencyResult> {
  const fixture = writeHarnessFixture([CHATTY_HARNESS]);
  return withHarnessDaemon(fixture, async (client) => {
    const levels: ConcurrencyLevelResult[] = [];
    for (const sessions of LEVELS) levels.push(await runLevel(client, fixture.projectRoot(), sessions));
    return {
      seconds: SECONDS,
      levels,
      met: levels.every((level) => !level.writerFailed && level.lifecycleLost === 0),
    };
  });
}

export function formatConcurrency(result: ConcurrencyResult): string {
  return result.levels
    .map(
      (level) =>
        `${level.sessions} chatty sessions × ${result.seconds} s: writer ${level.writerFailed ? "FAILED" : "never failed"}, ` +
        `${level.lifecycleLost} lifecycle events lost, ${level.outputEvents} output events, ` +
        `launch → first output p50 ${level.launchToFirstOutputP50Ms.toFixed(1)} ms, p95 ${level.launchToFirstOutputP95Ms.toFixed(1)} ms`,
    )
    .join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchConcurrency();
  console.log(formatConcurrency(result));
  console.log(result.met ? "targets met" : "targets NOT MET");
}
