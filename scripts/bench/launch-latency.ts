import { median, percentile } from "./common.js";
import {
  type BenchClient,
  type HarnessSpec,
  runRawPty,
  withHarnessDaemon,
  writeHarnessFixture,
} from "./harness-fixtures.js";

/**
 * Launch → first output. A harness prints `ready` at once and exits. Baseline: raw node-pty `spawn` → first
 * `onData`, in this process. Ours: sending `POST /api/v1/sessions` → receiving the first `output` event on the
 * session's SSE stream (opened right after the 201 with `afterSeq=0`; it replays from the ledger, so an event
 * committed before the stream opened is still delivered). Samples alternate; p50s are compared.
 * Target: p50 delta ≤ +15 ms.
 */
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const WARMUP = 2;
const TARGET_DELTA_MS = 15;

export const READY_HARNESS: HarnessSpec = {
  id: "bench-ready",
  label: "Bench ready",
  source: String.raw`process.stdout.write("ready\n");`,
};

export interface LaunchLatencyResult {
  samples: number;
  baselineP50Ms: number;
  daemonP50Ms: number;
  deltaP50Ms: number;
  /** Median of the per-pair differences (daemon sample − the baseline sample just before it): less drift-prone. */
  pairedDeltaP50Ms: number;
  baselineP90Ms: number;
  daemonP90Ms: number;
  baselineSamplesMs: number[];
  daemonSamplesMs: number[];
  targetDeltaMs: number;
  met: boolean;
}

async function baselineSample(script: string): Promise<number> {
  let firstAt: number | undefined;
  const run = await runRawPty(script, ["--", "go"], () => {
    firstAt ??= performance.now();
  });
  if (firstAt === undefined) throw new Error("baseline harness printed nothing");
  return firstAt - run.startedAt;
}

async function daemonSample(client: BenchClient, projectRoot: string): Promise<number> {
  const started = performance.now();
  const session = await client.launch(projectRoot, READY_HARNESS.id, "go");
  let firstAt: number | undefined;
  // Read the stream to its end (after the exit event), so one sample's session never overlaps the next.
  for await (const message of client.stream(session.id, 0)) {
    if (firstAt !== undefined) continue;
    const event = JSON.parse(message.data) as { kind: string };
    if (event.kind === "output") firstAt = performance.now();
  }
  if (firstAt === undefined) throw new Error(`session ${session.id} streamed no output`);
  return firstAt - started;
}

export async function benchLaunchLatency(): Promise<LaunchLatencyResult> {
  const fixture = writeHarnessFixture([READY_HARNESS]);
  const script = fixture.scriptPath(READY_HARNESS.id);
  const projectRoot = fixture.projectRoot();
  return withHarnessDaemon(fixture, async (client) => {
    for (let i = 0; i < WARMUP; i += 1) {
      await baselineSample(script);
      await daemonSample(client, projectRoot);
    }
    const baseline: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      baseline.push(await baselineSample(script));
      ours.push(await daemonSample(client, projectRoot));
    }
    const baselineP50Ms = percentile(baseline, 50);
    const daemonP50Ms = percentile(ours, 50);
    const deltaP50Ms = daemonP50Ms - baselineP50Ms;
    return {
      samples: SAMPLES,
      baselineP50Ms,
      daemonP50Ms,
      deltaP50Ms,
      pairedDeltaP50Ms: median(ours.map((value, index) => value - baseline[index]!)),
      baselineP90Ms: percentile(baseline, 90),
      daemonP90Ms: percentile(ours, 90),
      baselineSamplesMs: baseline,
      daemonSamplesMs: ours,
      targetDeltaMs: TARGET_DELTA_MS,
      met: deltaP50Ms <= TARGET_DELTA_MS,
    };
  });
}

export function formatLaunchLatency(result: LaunchLatencyResult): string {
  return (
    `launch → first output (${result.samples} samples): daemon p50 ${result.daemonP50Ms.toFixed(1)} ms ` +
    `(p90 ${result.daemonP90Ms.toFixed(1)}), raw node-pty p50 ${result.baselineP50Ms.toFixed(1)} ms ` +
    `(p90 ${result.baselineP90Ms.toFixed(1)}), delta ${result.deltaP50Ms >= 0 ? "+" : ""}` +
    `${result.deltaP50Ms.toFixed(1)} ms (paired median ${result.pairedDeltaP50Ms.toFixed(1)} ms) (target ≤ +${result.targetDeltaMs} ms) ${result.met ? "met" : "NOT MET"}`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatLaunchLatency(await benchLaunchLatency()));
}
