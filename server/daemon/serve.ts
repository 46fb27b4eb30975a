import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { CapabilityService } from "../capabilities.js";
import { buildHttpApp } from "../http/app.js";
import { EventFeed } from "../ledger/event-feed.js";
import { Ledger } from "../ledger/ledger.js";
import { StorageMonitor } from "../ledger/storage.js";
import { packageVersion } from "../package-root.js";
import { loadPrivacyConfig } from "../privacy/config.js";
import { Redactor } from "../privacy/redactor.js";
import { SessionRuntime } from "../runtime/session-runtime.js";
import type { DaemonServices } from "../services.js";
import { type CovenPaths, prepareCovenHome, resolveCovenHome } from "./home.js";
import { clearStaleSocket } from "./socket-probe.js";

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
  // Asynchronous writes: one log line per request must not cost a blocking write per request.
  const logger =
    options.logger ??
    pino({ name: "coven", level: env.COVEN_LOG_LEVEL ?? "info" }, pino.destination({ dest: 1, sync: false }));
  // Everything the daemon creates under COVEN_HOME (database, WAL, socket, logs) is owner-only.
  process.umask(0o077);
  const paths = prepareCovenHome(resolveCovenHome(env));
  const privacy = loadPrivacyConfig(paths.home, env);
  const redactor = new Redactor(privacy.extraPatterns);
  await clearStaleSocket(paths.socket);

  const ledger = Ledger.open(paths.database, {
    capacityBytes: positiveIntegerSetting(env, "COVEN_EVENT_QUEUE_BYTES"),
    redactPayload: (payload) => redactor.redactJsonValue(payload) as typeof payload,
  });
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
  const services: DaemonServices = {
    identity: {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      socketPath: paths.socket,
      covenHome: paths.home,
      version: packageVersion(),
    },
    ledger,
    capabilities,
    redactor,
    runtime,
    eventFeed: new EventFeed(ledger),
    storage: new StorageMonitor(paths.database, () => ledger.events.oldestCreatedAt()),
  };
  const app = await buildHttpApp({ services, transport: "unix", logger });
  try {
    await app.listen({ path: paths.socket });
    fs.chmodSync(paths.socket, 0o600);
  } catch (error) {
    await ledger.close();
    throw error;
  }
  logger.info({ socket: paths.socket, pid: process.pid }, "coven daemon serving");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Open event streams end first, so closing the server does not wait on them.
      services.eventFeed.close();
      await app.close();
      // Harnesses do not outlive a graceful stop: each is killed and its exit recorded before the ledger closes.
      await runtime.shutdown();
      await ledger.close();
      fs.rmSync(paths.socket, { force: true });
      logger.info("coven daemon stopped");
      logger.flush();
    })();
    return closing;
  };
  return { paths, services, app, close };
}
