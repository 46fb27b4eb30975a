import { percentile } from "./common.js";
import {
  type HarnessSpec,
  runRawPty,
  wallNow,
  withHarnessDaemon,
  writeHarnessFixture,
} from "./harness-fixtures.js";

/**
 * Output → subscribed client. A harness prints one line every 20 ms carrying its own wall-clock time
 * (`performance.timeOrigin + performance.now()`, sub-ms), `BENCH_STREAM_LINES` (default 200) lines, then exits.
 * The bench follows the session's SSE stream and, for every line in every `output` event (several lines may be
 * coalesced into one event), takes receive time minus printed time. Lines printed before the stream was open
 * are left out (they measure the replay, not the push). For reference the same harness is read under raw
 * node-pty in this process (the floor: PTY + process wake-up). Targets: p50 ≤ 10 ms, p99 ≤ 50 ms.
 */
const LINES = Number(process.env.BENCH_STREAM_LINES ?? 200);
const TARGET_P50_MS = 10;
const TARGET_P99_MS = 50;

export const TICKER_HARNESS: HarnessSpec = {
  id: "bench-ticker",
  label: "Bench ticker",
  source: String.raw`
const count = Number(process.argv.at(-1)) || 200;
let sent = 0;
const timer = setInterval(() => {
  sent += 1;
  process.stdout.write("tick " + sent + " " + (performance.timeOrigin + performance.now()).toFixed(3) + "\n");
  if (sent >= count) clearInterval(timer);
}, 20);
`,
};

const TICK = /tick (\d+) (\d+\.\d+)/g;

/** Appends `receivedAt - printedAt` for every tick line in `text`; returns the tick numbers seen. */
function collect(text: string, receivedAt: number, notBefore: number, into: number[]): number[] {
  const ticks: number[] = [];
  for (const match of text.matchAll(TICK)) {
    ticks.push(Number(match[1]));
    const printedAt = Number(match[2]);
    if (printedAt >= notBefore) into.push(receivedAt - printedAt);
  }
  return ticks;
}

export interface StreamLatencyResult {
  lines: number;
  /** Lines whose latency was measured (received over the live stream, printed after it opened). */
  measured: number;
  /** Lines missing from the stream (should be 0). */
  missing: number;
  missingTicks: number[];
  /** Output events the lines arrived in (fewer than lines means coalescing). */
  outputEvents: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  targetP50Ms: number;
  targetP99Ms: number;
  met: boolean;
}

export async function benchStreamLatency(): Promise<StreamLatencyResult> {
  const fixture = writeHarnessFixture([TICKER_HARNESS]);
  const projectRoot = fixture.projectRoot();

  return withHarnessDaemon(fixture, async (client) => {
    // Baseline: the same ticker under raw node-pty.
    const baseline: number[] = [];
    let pending = "";
    await runRawPty(fixture.scriptPath(TICKER_HARNESS.id), ["--", String(LINES)], (data) => {
      const receivedAt = wallNow();
      pending += data;
      const cut = pending.lastIndexOf("\n") + 1;
      collect(pending.slice(0, cut), receivedAt, 0, baseline);
      pending = pending.slice(cut);
    });

    // Warm-up session (JIT, first-statement preparation), not measured.
    const warmup = await client.launch(projectRoot, TICKER_HARNESS.id, "10");
    for await (const _ of client.stream(warmup.id, 0));
    const latencies: number[] = [];
    const seen = new Set<number>();
    let outputEvents = 0;
    let partial = "";
    const session = await client.launch(projectRoot, TICKER_HARNESS.id, String(LINES));
    // The stream is open once its first message (the replayed launch event) arrives.
    let streamOpenAt: number | undefined;
    for await (const message of client.stream(session.id, 0)) {
      const receivedAt = wallNow();
      streamOpenAt ??= receivedAt;
      const event = JSON.parse(message.data) as { kind: string; payload_json: string };
      if (event.kind !== "output") continue;
      outputEvents += 1;
      // A line split across two events counts as received when its end arrives.
      partial += (JSON.parse(event.payload_json) as { data: string }).data;
      const cut = partial.lastIndexOf("\n") + 1;
      for (const tick of collect(partial.slice(0, cut), receivedAt, streamOpenAt, latencies)) seen.add(tick);
      partial = partial.slice(cut);
    }
    const missingTicks = Array.from({ length: LINES }, (_, index) => index + 1).filter(
      (tick) => !seen.has(tick),
    );
    const p50Ms = percentile(latencies, 50);
    const p99Ms = percentile(latencies, 99);
    return {
      lines: LINES,
      measured: latencies.length,
      missing: missingTicks.length,
      missingTicks,
      outputEvents,
      p50Ms,
      p99Ms,
      maxMs: Math.max(...latencies),
      baselineP50Ms: percentile(baseline, 50),
      baselineP99Ms: percentile(baseline, 99),
      targetP50Ms: TARGET_P50_MS,
      targetP99Ms: TARGET_P99_MS,
      met: latencies.length > 0 && p50Ms <= TARGET_P50_MS && p99Ms <= TARGET_P99_MS,
    };
  });
}

export function formatStreamLatency(result: StreamLatencyResult): string {
  return (
    `output → SSE client (${result.measured}/${result.lines} lines in ${result.outputEvents} events, ` +
    `${result.missing} missing${result.missing ? ` [${result.missingTicks.join(", ")}]` : ""}): p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
    `max ${result.maxMs.toFixed(2)} ms; raw node-pty p50 ${result.baselineP50Ms.toFixed(2)} ms, ` +
    `p99 ${result.baselineP99Ms.toFixed(2)} ms (target p50 ≤ ${result.targetP50Ms}, p99 ≤ ${result.targetP99Ms}) ` +
    `${result.met ? "met" : "NOT MET"}`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatStreamLatency(await benchStreamLatency()));
}
