/**
 * The suite's randomness is seeded and printed, so a failing run can be replayed exactly:
 * `RELIABILITY_SEED=<seed> npm run test:reliability`.
 */
export function suiteSeed(): number {
  const configured = process.env.RELIABILITY_SEED;
  if (configured && /^\d+$/.test(configured)) return Number(configured) >>> 0;
  return (Date.now() ^ (process.pid << 8)) >>> 0;
}

/** mulberry32: small, fast, good enough to pick delays and choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
