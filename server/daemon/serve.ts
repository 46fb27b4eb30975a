import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { CapabilityService } from "../capabilities.js";
import { buildHttpApp } from "../http/app.js";
import type { TcpListenerConfig } from "../http/tcp-guard.js";
import { INLINE_CHECKPOINTS } from "../ledger/checkpointer.js";
import { EventFeed } from "../ledger/event-feed.js";
import { Ledger } from "../ledger/ledger.js";
import { LedgerMaintenance } from "../ledger/maintenance.js";
import { StorageMonitor } from "../ledger/storage.js";
import { packageVersion } from "../package-root.js";
import { Redactor } from "../privacy/redactor.js";
import { SessionRuntime } from "../runtime/session-runtime.js";
import type { DaemonServices } from "../services.js";
import { removeDaemonMetadata, writeDaemonMetadata } from "./daemon-metadata.js";
import { type CovenPaths, prepareCovenHome, resolveCovenHome } from "./home.js";
import { InstanceLock } from "./instance-lock.js";
import { createDaemonLogger, type DaemonLogger } from "./log-file.js";
import { recoverSessions } from "./recovery.js";
import { clearStaleSocket } from "./socket-probe.js";
import { readStartupConfig } from "./startup-config.js";

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** `host:port` of an optional loopback TCP listener (see server/http/tcp-guard.ts). */
  tcp?: string | undefined;
}

export interface RunningDaemon {
  paths: CovenPaths;
  services: DaemonServices;
  app: FastifyInstance;
  /** Stops accepting, finishes in-flight requests, flushes the writer, closes the database, removes the socket. */
  close(): Promise<void>;
}

/** An optional positive-integer environment setting; a bad value is a startup error naming the variable. */
function positiveIntegerSetting(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name}=${raw}: must be a positive integer`);
  return Number(raw);
}

/** Starts the daemon in this process and serves until `close()` is called. */
export async function serveDaemon(options: ServeOptions = {}): Promise<RunningDaemon> {
  const env = options.env ?? process.env;
  // Everything the daemon creates under COVEN_HOME (database, WAL, socket, logs) is owner-only.
  process.umask(0o077);
  const paths = prepareCovenHome(resolveCovenHome(env));
  // Refused before anything is opened: a bad --tcp must not leave a half-started daemon.
  const { tcpConfig, privacy } = readStartupConfig(paths.home, env, options.tcp);
  const redactor = new Redactor(privacy.extraPatterns);
  // Daily JSON log files under logs/, redacted line by line, written asynchronously.
  const daemonLog = options.logger ? undefined : createDaemonLogger(paths.logs, redactor, env);
  const logger = options.logger ?? (daemonLog as DaemonLogger).logger;
  // Single instance per COVEN_HOME, decided by the lock (and the socket check below), never by guessing: taken
  // before the ledger opens, released by close(), or right here when startup fails.
  const lock = await InstanceLock.acquire(paths);
  try {
    return await serveHoldingLock({
      env,
      logger,
      paths,
      tcpConfig,
      redactor,
      lock,
      retentionDays: privacy.logRetentionDays,
      flushLogs: () => daemonLog?.flush(),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The rest of startup, run while this process holds the home's lock. */
async function serveHoldingLock({
  env,
  logger,
  paths,
  tcpConfig,
  redactor,
  lock,
  retentionDays,
  flushLogs,
}: {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  paths: CovenPaths;
  tcpConfig: TcpListenerConfig | null;
  redactor: Redactor;
  lock: InstanceLock;
  retentionDays: number;
  flushLogs: () => void;
}): Promise<RunningDaemon> {
  await clearStaleSocket(paths.socket);
  // This process holds the lock, so a daemon.json still here was left by a daemon that is gone.
  removeDaemonMetadata(paths.daemonJson);

  const ledger = await Ledger.open(
    paths.database,
    {
      capacityBytes: positiveIntegerSetting(env, "COVEN_EVENT_QUEUE_BYTES"),
      redactPayload: (payload) => redactor.redactJsonValue(payload) as typeof payload,
    },
    { backgroundCheckpoints: true },
  );
  const checkpoints = ledger.checkpointer?.status();
  if (checkpoints?.mode !== "background") {
    logger.warn(
      { error: checkpoints?.lastError },
      "WAL checkpoints run inline: the checkpoint thread did not start",
    );
  }
  if (ledger.migration.backupPath) {
    logger.info({ ...ledger.migration }, "ledger schema migrated; the previous database was backed up first");
  }
  try {
    // Before serving: sessions a dead daemon left running are closed honestly, never shown as live.
    await recoverSessions(ledger, logger);
  } catch (error) {
    await ledger.close();
    throw error;
  }
  const capabilities = new CapabilityService(env);
  for (const problem of capabilities.adapters.problems) logger.warn({ problem }, "adapter manifest problem");

  const runtime = new SessionRuntime({
    killGraceMs: positiveIntegerSetting(env, "COVEN_KILL_GRACE_MS"),
    ledger,
    capabilities,
    redactor,
    env,
    onTransition: (sessionId, status) => logger.info({ sessionId, status }, "session transition"),
  });
  const storage = new StorageMonitor(
    paths.database,
    () => ledger.events.oldestCreatedAt(),
    () => ledger.checkpointer?.status() ?? INLINE_CHECKPOINTS,
  );
  const services: DaemonServices = {
    identity: {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      socketPath: paths.socket,
      covenHome: paths.home,
      version: packageVersion(),
      tcp: tcpConfig,
    },
    ledger,
    capabilities,
    redactor,
    runtime,
    eventFeed: new EventFeed(ledger),
    storage,
    maintenance: new LedgerMaintenance(ledger, { retentionDays, storage, logger }),
  };
  const app = await buildHttpApp({ services, transport: "unix", logger });
  try {
    await app.listen({ path: paths.socket });
    fs.chmodSync(paths.socket, 0o600);
  } catch (error) {
    await ledger.close();
    throw error;
  }
  let tcpApp: FastifyInstance | undefined;
  if (tcpConfig) {
    tcpApp = await buildHttpApp({ services, transport: "tcp", logger, tcp: tcpConfig });
    try {
      await tcpApp.listen({ host: tcpConfig.host, port: tcpConfig.port });
    } catch (error) {
      await app.close();
      await ledger.close();
      fs.rmSync(paths.socket, { force: true });
      throw new Error(`--tcp ${tcpConfig.host}:${tcpConfig.port}: ${(error as Error).message}`);
    }
    logger.info({ host: tcpConfig.host, port: tcpConfig.port }, "loopback TCP listener (read-only) serving");
  }
  logger.info({ socket: paths.socket, pid: process.pid }, "coven daemon serving");
  // Prunes now (in the background) and hourly; checkpoints a large WAL.
  services.maintenance.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Harnesses do not outlive a graceful stop: each is killed and its exit recorded first, while the server
      // still serves, so a client attached to one sees how it ended rather than a daemon gone mid-session.
      await runtime.shutdown();
      // Then open event streams end, so closing the server does not wait on them.
      services.eventFeed.close();
      await tcpApp?.close();
      await app.close();
      await services.maintenance.stop();
      await ledger.close();
      fs.rmSync(paths.socket, { force: true });
      removeDaemonMetadata(paths.daemonJson, process.pid);
      lock.release();
      logger.info("coven daemon stopped");
      flushLogs();
    })();
    return closing;
  };
  // Written only once the daemon answers, atomically, with the startedAt its health reports.
  try {
    writeDaemonMetadata(paths.daemonJson, {
      pid: process.pid,
      socket: paths.socket,
      startedAt: services.identity.startedAt,
      version: services.identity.version,
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { paths, services, app, close };
}
