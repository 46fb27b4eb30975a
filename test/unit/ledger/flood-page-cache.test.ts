import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  FLOOD_BYTES_PER_WINDOW,
  FLOOD_CACHE_KIB,
  FLOOD_WINDOW_MS,
  FloodPageCache,
} from "../../../server/ledger/flood-page-cache.js";

const CHUNK = 32 * 1024;
/** better-sqlite3's default, and the connection's own size that a flood's end restores. */
const READ_CACHE_KIB = 16_000;

// A real SQLite connection; the fake timers and the injected clock only stand in for waiting out the windows.
describe("FloodPageCache", () => {
  let db: Database.Database;
  let now: number;
  let cache: FloodPageCache;
  const cacheKiB = () => -(db.pragma("cache_size", { simple: true }) as number);
  /** Commits `bytes` in 32 KiB rows spread evenly over `ms`. */
  const commit = (bytes: number, ms: number) => {
    const rows = Math.ceil(bytes / CHUNK);
    for (let row = 0; row < rows; row += 1) {
      now += ms / rows;
      vi.advanceTimersByTime(ms / rows);
      cache.committed(CHUNK);
    }
  };
  const wait = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    db = new Database(":memory:");
    cache = new FloodPageCache(db, () => now);
  });

  afterEach(() => {
    cache.restore();
    db.close();
    vi.useRealTimers();
  });

  it("keeps SQLite's default cache for interactive output", () => {
    expect(cacheKiB()).toBe(READ_CACHE_KIB);
    for (let second = 0; second < 5; second += 1) commit(FLOOD_BYTES_PER_WINDOW / 4, FLOOD_WINDOW_MS);
    expect(cacheKiB()).toBe(READ_CACHE_KIB);
    expect(cache.flooding).toBe(false);
  });

  it("shrinks the cache once a window holds a flood's worth, for as long as the flood lasts", () => {
    commit(FLOOD_BYTES_PER_WINDOW, 100);
    expect(cacheKiB()).toBe(FLOOD_CACHE_KIB);
    for (let second = 0; second < 3; second += 1) commit(2 * FLOOD_BYTES_PER_WINDOW, FLOOD_WINDOW_MS);
    expect(cacheKiB()).toBe(FLOOD_CACHE_KIB);
  });

  it("restores the cache after a window without commits, though no commit comes to notice", () => {
    commit(FLOOD_BYTES_PER_WINDOW, 100);
    wait(3 * FLOOD_WINDOW_MS);
    expect(cacheKiB()).toBe(READ_CACHE_KIB);
    expect(cache.flooding).toBe(false);
  });

  it("restores the cache when the output slows to an interactive rate", () => {
    commit(FLOOD_BYTES_PER_WINDOW, 100);
    for (let second = 0; second < 3; second += 1) commit(CHUNK * 4, FLOOD_WINDOW_MS);
    expect(cacheKiB()).toBe(READ_CACHE_KIB);
  });

  it("restore() puts the read cache back at once, and is harmless on a closed connection", () => {
    commit(FLOOD_BYTES_PER_WINDOW, 100);
    cache.restore();
    expect(cacheKiB()).toBe(READ_CACHE_KIB);
    commit(FLOOD_BYTES_PER_WINDOW, 100);
    db.close();
    expect(() => cache.restore()).not.toThrow();
    db = new Database(":memory:"); // for afterEach
  });
});
