import fs from "node:fs";
import path from "node:path";
import type { StorageStatus, WalCheckpointStatus } from "../../contract/health.js";

/** What is measured from the files and the filesystem (the checkpointer reports the rest). */
export type MeasuredStorage = Omit<StorageStatus, "walCheckpoint">;

/** Below this much free disk, maintenance pauses and health reports `critical`. */
export const CRITICAL_FREE_BYTES = 256 * 1024 * 1024;
/** Below this, health warns before it gets critical. */
export const WARNING_FREE_BYTES = 1024 * 1024 * 1024;

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Measures the ledger's files and the filesystem they live on; never throws (`degraded` instead). */
export function measureStorage(
  databasePath: string,
  facts: { oldestRetainedEventAt: string | null; lastPruneAt: string | null },
): MeasuredStorage {
  const databaseBytes = fileSize(databasePath);
  const walBytes = fileSize(`${databasePath}-wal`);
  let freeDiskBytes = 0;
  let status: MeasuredStorage["status"];
  try {
    const stats = fs.statfsSync(path.dirname(databasePath));
    freeDiskBytes = Number(stats.bavail) * Number(stats.bsize);
    if (freeDiskBytes < CRITICAL_FREE_BYTES) status = "critical";
    else if (freeDiskBytes < WARNING_FREE_BYTES) status = "warning";
    else status = "ok";
  } catch {
    status = "degraded";
  }
  return {
    status,
    databaseBytes,
    walBytes,
    freeDiskBytes,
    oldestRetainedEventAt: facts.oldestRetainedEventAt,
    lastPruneAt: facts.lastPruneAt,
    maintenanceBlocked: status === "critical",
  };
}

/** How long a storage measurement is reused: health may be polled often; disks do not change that fast. */
const STORAGE_TTL_MS = 1000;

/** The latest storage measurement of the ledger, taken again at most once a second. */
export class StorageMonitor {
  private cached: { at: number; status: MeasuredStorage } | undefined;
  lastPruneAt: string | null = null;

  constructor(
    private readonly databasePath: string,
    private readonly oldestEventAt: () => string | null,
    private readonly walCheckpoint: () => WalCheckpointStatus,
  ) {}

  current(): StorageStatus {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= STORAGE_TTL_MS) {
      const status = measureStorage(this.databasePath, {
        oldestRetainedEventAt: this.oldestEventAt(),
        lastPruneAt: this.lastPruneAt,
      });
      this.cached = { at: now, status };
    }
    return { ...this.cached.status, walCheckpoint: this.walCheckpoint() };
  }
}
