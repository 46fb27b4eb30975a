import { measureRate, median, startBareServer, startBenchDaemon } from "./common.js";

/**
 * Health round-trips over the daemon's socket vs a bare Node HTTP server on a Unix socket, measured in the
 * same run with the same client, alternating rounds so machine noise hits both. Target: ratio ≥ 0.6.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);

export async function benchHealth() {
  const daemon = await startBenchDaemon();
  const bare = await startBareServer();
  try {
    // Warm both up (JIT, connection setup) before measuring.
    await measureRate(daemon.socket, "/api/v1/health", 500);
    await measureRate(bare.socket, "/", 500);
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      ours.push(await measureRate(daemon.socket, "/api/v1/health", ROUND_MS));
      baseline.push(await measureRate(bare.socket, "/", ROUND_MS));
    }
    const ratio = median(ours) / median(baseline);
    return { daemonRps: median(ours), bareRps: median(baseline), ratio, target: 0.6, met: ratio >= 0.6 };
  } finally {
    daemon.child.kill("SIGTERM");
    bare.child.kill("SIGTERM");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchHealth();
  console.log(
    `health round-trips: daemon ${result.daemonRps.toFixed(0)} req/s, bare node ${result.bareRps.toFixed(0)} req/s, ` +
      `ratio ${result.ratio.toFixed(2)} (target ≥ ${result.target}) ${result.met ? "met" : "NOT MET"}`,
  );
}
