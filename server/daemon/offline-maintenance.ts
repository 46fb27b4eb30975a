import fs from "node:fs";
import { Ledger } from "../ledger/ledger.js";
import { LedgerMaintenance } from "../ledger/maintenance.js";
import { loadPrivacyConfig } from "../privacy/config.js";
import { identifyDaemon } from "./daemon-process.js";
import { assertSafeCovenHome, covenPaths, resolveCovenHome } from "./home.js";
import { readLockPid } from "./instance-lock.js";

/**
 * Maintenance of the ledger by the CLI itself, for when no daemon answers on the socket (the daemon is the
 * only writer while it runs, so the CLI asks it instead whenever it can). Refuses when a daemon still holds the
 * home's lock without answering, and never creates a ledger that is not there.
 */
export async function withOfflineLedger<T>(
  env: NodeJS.ProcessEnv,
  job: (maintenance: LedgerMaintenance) => Promise<T>,
): Promise<{ result: T; database: string }> {
  const paths = covenPaths(resolveCovenHome(env));
  if (!fs.existsSync(paths.database)) {
    throw new Error(
      `${paths.database}: there is no session ledger here (is COVEN_HOME right?); nothing to do.`,
    );
  }
  assertSafeCovenHome(paths.home);
  const holder = readLockPid(paths.lock);
  if (holder !== null && holder !== process.pid && (await identifyDaemon(holder, paths)) !== "not-daemon") {
    throw new Error(
      `A Coven daemon (pid ${holder}) holds ${paths.home} but does not answer on ${paths.socket}; ` +
        "the ledger was not touched. Stop that daemon, or retry once it answers.",
    );
  }
  // Files this process creates beside the ledger (WAL, a pre-migration backup) are owner-only, as the daemon's.
  process.umask(0o077);
  const { logRetentionDays } = loadPrivacyConfig(paths.home, env);
  const ledger = await Ledger.open(paths.database);
  try {
    const result = await job(new LedgerMaintenance(ledger, { retentionDays: logRetentionDays }));
    return { result, database: paths.database };
  } finally {
    await ledger.close();
  }
}
