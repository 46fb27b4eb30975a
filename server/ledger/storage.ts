import fs from "node:fs";
import path from "node:path";
import type { StorageStatus } from "../../contract/health.js";

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
): StorageStatus {
  const databaseBytes = fileSize(databasePath);
  const walBytes = fileSize(`${databasePath}-wal`);
  let freeDiskBytes = 0;
  let status: StorageStatus["status"];
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
