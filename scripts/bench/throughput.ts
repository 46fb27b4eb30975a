import { median } from "./common.js";
import {
  type HarnessSpec,
  runRawPty,
  sampleMaxRss,
  withHarnessDaemon,
  writeHarnessFixture,
} from "./harness-fixtures.js";
import { RequiredWorkFloor } from "./required-work-floor.js";

/**
 * Persisted PTY output throughput. A harness floods `BENCH_THROUGHPUT_MB` MiB of 100-character text lines and
 * exits 0. Baseline: the same script under raw node-pty in this process, draining `onData` until exit. Ours: the
 * same script launched through the daemon; the clock runs from the launch request until the daemon recorded the
 * exit (the `exit` event's `created_at`, committed after all the output before it; the wall clock is shared, and
 * polling the session's status would add up to a polling interval). The bytes are the output data the ledger
 * holds afterwards (bytes dropped under pressure, which `output_truncated` markers account for, are reported
 * beside it, not counted). A third measurement, the floor (see `RequiredWorkFloor`), does only the work required
 * per byte (redaction, payload JSON, SQLite inserts) in this process. Rounds alternate baseline/floor/daemon;
 * medians are compared. Targets: ratio ≥ 0.8 and the daemon's max RSS during the runs < 200 MB.
 */
const MB = Number(process.env.BENCH_THROUGHPUT_MB ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MIB = 1024 * 1024;
const TARGET_RATIO = 0.8;
const TARGET_RSS_BYTES = 200 * MIB;

export const FLOOD_HARNESS: HarnessSpec = {
  id: "bench-flood",
  label: "Bench flood",
  source: String.raw`
const mb = Number(process.argv.at(-1));
const total = Math.round((Number.isFinite(mb) && mb > 0 ? mb : 50) * 1024 * 1024);
const alphabet = "abcdefghijklmnopqrstuvwxyz";
let chunk = "";
for (let i = 0; i < 655; i += 1) {
  let line = "";
  for (let j = 0; j < 99; j += 1) line += alphabet[(i + j) % 26];
  chunk += line + "\n";
}
let written = 0;
function pump() {
  while (written < total) {
    const piece = total - written >= chunk.length ? chunk : chunk.slice(0, total - written);
    written += piece.length;
    if (!process.stdout.write(piece)) {
      process.stdout.once("drain", pump);
      return;
    }
  }
}
pump();
`,
};

/** Bytes a terminal delivers for the flood of `mb` MiB: every "\n" becomes "\r\n" (onlcr). */
export function expectedTerminalBytes(mb: number): number {
  const total = Math.round(mb * MIB);
  const chunkBytes = 655 * 100;
  const fullChunks = Math.floor(total / chunkBytes);
  const rest = total - fullChunks * chunkBytes;
  return total + fullChunks * 655 + Math.floor(rest / 100);
}

export interface ThroughputResult {
  mb: number;
  rounds: number;
  /** Median raw node-pty MB/s (MiB per second). */
  baselineMBps: number;
  /** Median daemon MB/s of bytes accounted for in the ledger (stored output + bytes dropped under pressure). */
  daemonMBps: number;
  /** Median daemon MB/s counting only output actually stored. */
  daemonStoredMBps: number;
  /** Stored output MB/s over the baseline's: what the target is about (dropped bytes are not persisted). */
  ratio: number;
  /** The same counting dropped bytes too: how fast the daemon took output in, stored or not. */
  acceptedRatio: number;
  /** Median MB/s of the required work alone, in this process (see `RequiredWorkFloor`). */
  floorMBps: number;
  /** The floor over raw node-pty: what redacting and storing every byte costs on this machine at best. */
  floorRatio: number;
  /** The daemon over the floor: what the daemon costs beyond the required work. */
  daemonToFloorRatio: number;
  floorSamplesMBps: number[];
  expectedBytes: number;
  /** Median bytes the baseline received per round (should equal expectedBytes). */
  baselineBytes: number;
  /** Median bytes stored as output events per round. */
  storedBytes: number;
  /** Bytes dropped under writer pressure per round (from `output_truncated` markers). */
  droppedBytesPerRound: number[];
  /** Max daemon VmRSS over all daemon rounds (the run and the read-back of its events). */
  maxRssBytes: number;
  /** Max daemon VmRSS while the harnesses ran (launch → completed), without the read-back. */
  maxRunRssBytes: number;
  baselineSamplesMBps: number[];
  daemonSamplesMBps: number[];
  targetRatio: number;
  targetRssBytes: number;
  met: boolean;
}

export async function benchThroughput(): Promise<ThroughputResult> {
  const fixture = writeHarnessFixture([FLOOD_HARNESS]);
  const script = fixture.scriptPath(FLOOD_HARNESS.id);
  const projectRoot = fixture.projectRoot();
  const prompt = String(MB);

  async function baselineRound(mb: number) {
    let bytes = 0;
    const run = await runRawPty(script, ["--", String(mb)], (data) => {
      bytes += Buffer.byteLength(data);
    });
    if (run.exitCode !== 0) throw new Error(`baseline flood exited ${run.exitCode}`);
    return { bytes, seconds: (run.exitedAt - run.startedAt) / 1000 };
  }

  const floor = await RequiredWorkFloor.open();
  async function floorRound(mb: number) {
    const run = await floor.round(script, ["--", String(mb)]);
    if (run.exitCode !== 0) throw new Error(`floor flood exited ${run.exitCode}`);
    return run;
  }

  const measured = withHarnessDaemon(fixture, async (client, daemon) => {
    async function daemonRound(mbPrompt: string) {
      // Sampled over the run and over the read-back of its events: both are the daemon's footprint.
      const rss = sampleMaxRss(daemon.pid);
      const runRss = sampleMaxRss(daemon.pid);
      try {
        const started = Date.now();
        const session = await client.launch(projectRoot, FLOOD_HARNESS.id, mbPrompt);
        const done = await client.waitForTerminal(session.id, 50);
        const maxRunRss = runRss.stop();
        if (done.status !== "completed") throw new Error(`flood session ended ${done.status}`);
        let stored = 0;
        let dropped = 0;
        let exitedAt: number | undefined;
        await client.forEachEvent(session.id, (event) => {
          if (event.kind === "output") {
            stored += Buffer.byteLength((JSON.parse(event.payload_json) as { data: string }).data);
          } else if (event.kind === "output_truncated") {
            dropped += (JSON.parse(event.payload_json) as { droppedBytes: number }).droppedBytes;
          } else if (event.kind === "exit") {
            exitedAt = Date.parse(event.created_at);
          }
        });
        if (exitedAt === undefined) throw new Error("the flood session has no exit event");
        const seconds = (exitedAt - started) / 1000;
        // The WAL is copied back once the writer is quiet; that copy must not run in the baseline's round.
        await client.waitForCheckpointAfter(exitedAt);
        return { stored, dropped, seconds, maxRss: rss.stop(), maxRunRss };
      } finally {
        rss.stop();
        runRss.stop();
      }
    }

    // Warm-up (JIT, page cache, SQLite file growth) on both sides; not measured.
    await baselineRound(2);
    await floorRound(2);
    await daemonRound("2");

    const baseline: { bytes: number; seconds: number }[] = [];
    const floors: Awaited<ReturnType<typeof floorRound>>[] = [];
    const ours: Awaited<ReturnType<typeof daemonRound>>[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      baseline.push(await baselineRound(MB));
      floors.push(await floorRound(MB));
      ours.push(await daemonRound(prompt));
    }

    const baselineSamples = baseline.map((run) => run.bytes / MIB / run.seconds);
    const daemonSamples = ours.map((run) => (run.stored + run.dropped) / MIB / run.seconds);
    const storedSamples = ours.map((run) => run.stored / MIB / run.seconds);
    const baselineMBps = median(baselineSamples);
    const daemonMBps = median(daemonSamples);
    const daemonStoredMBps = median(storedSamples);
    const maxRssBytes = Math.max(...ours.map((run) => run.maxRss));
    const ratio = daemonStoredMBps / baselineMBps;
    const floorSamples = floors.map((run) => run.storedBytes / MIB / run.seconds);
    const floorMBps = median(floorSamples);
    return {
      mb: MB,
      rounds: ROUNDS,
      baselineMBps,
      daemonMBps,
      daemonStoredMBps,
      ratio,
      acceptedRatio: daemonMBps / baselineMBps,
      floorMBps,
      floorRatio: floorMBps / baselineMBps,
      daemonToFloorRatio: daemonStoredMBps / floorMBps,
      floorSamplesMBps: floorSamples,
      expectedBytes: expectedTerminalBytes(MB),
      baselineBytes: median(baseline.map((run) => run.bytes)),
      storedBytes: median(ours.map((run) => run.stored)),
      droppedBytesPerRound: ours.map((run) => run.dropped),
      maxRssBytes,
      maxRunRssBytes: Math.max(...ours.map((run) => run.maxRunRss)),
      baselineSamplesMBps: baselineSamples,
      daemonSamplesMBps: daemonSamples,
      targetRatio: TARGET_RATIO,
      targetRssBytes: TARGET_RSS_BYTES,
      met: ratio >= TARGET_RATIO && maxRssBytes < TARGET_RSS_BYTES,
    };
  });
  try {
    return await measured;
  } finally {
    floor.close();
  }
}

export function formatThroughput(result: ThroughputResult): string {
  const dropped = result.droppedBytesPerRound.reduce((sum, bytes) => sum + bytes, 0);
  return (
    `persisted output throughput (${result.mb} MB × ${result.rounds}): daemon stored ` +
    `${result.daemonStoredMBps.toFixed(1)} MB/s (${result.daemonMBps.toFixed(1)} MB/s counting dropped bytes), raw ` +
    `node-pty ${result.baselineMBps.toFixed(1)} MB/s, ratio ${result.ratio.toFixed(2)} (target ≥ ` +
    `${result.targetRatio}); the required work alone (redaction, payload JSON, SQLite inserts, in-process) ` +
    `${result.floorMBps.toFixed(1)} MB/s, ${result.floorRatio.toFixed(2)} of raw, the daemon ` +
    `${result.daemonToFloorRatio.toFixed(2)} of it; dropped ${dropped} bytes ` +
    `[${result.droppedBytesPerRound.join(", ")}]; stored ${result.storedBytes}/${result.expectedBytes} bytes; ` +
    `daemon max RSS ${(result.maxRssBytes / MIB).toFixed(1)} MB (${(result.maxRunRssBytes / MIB).toFixed(1)} MB ` +
    `before read-back; target < ${result.targetRssBytes / MIB}) ` +
    `${result.met ? "met" : "NOT MET"}`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatThroughput(await benchThroughput()));
}
