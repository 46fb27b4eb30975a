import fs from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import type { Redactor } from "../privacy/redactor.js";

const LOG_BUFFER_BYTES = 8 * 1024;
const LOG_FLUSH_INTERVAL_MS = 500;

type SonicBoom = ReturnType<typeof pino.destination>;

/** `daemon-YYYY-MM-DD.log` for the UTC day of `date`. */
export function dailyLogFileName(date: Date): string {
  return `daemon-${date.toISOString().slice(0, 10)}.log`;
}

/**
 * The daemon's structured log: one JSON line per record, appended to `$COVEN_HOME/logs/daemon-YYYY-MM-DD.log`,
 * a new file each UTC day, each line passed through the redactor so nothing secret-shaped reaches the disk,
 * whatever a log call was given. A plain pino destination (an object with `write`): every request logs a line,
 * so this path stays short; lines are buffered and written in batches, at most LOG_FLUSH_INTERVAL_MS late.
 */
export class DailyLogDestination {
  private day = "";
  private file: SonicBoom | undefined;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly directory: string,
    private readonly redactor: Redactor,
    private readonly now: () => Date = () => new Date(),
    /** Another destination that gets the same (redacted) lines: stdout under a supervisor. */
    private readonly also?: SonicBoom,
  ) {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.flushTimer = setInterval(() => this.flushBuffered(), LOG_FLUSH_INTERVAL_MS).unref();
  }

  write(line: string): boolean {
    const name = dailyLogFileName(this.now());
    if (name !== this.day) this.rotate(name);
    const redacted = this.redactor.redact(line);
    this.also?.write(redacted);
    return (this.file as SonicBoom).write(redacted);
  }

  /** Writes out everything buffered (at shutdown). */
  flushSync(): void {
    for (const destination of [this.file, this.also]) {
      try {
        destination?.flushSync();
      } catch {
        // nothing pending, or stdout is closed
      }
    }
  }

  end(): void {
    clearInterval(this.flushTimer);
    this.flushSync();
    this.file?.end();
  }

  private rotate(name: string): void {
    this.file?.end();
    this.day = name;
    this.file = pino.destination({
      dest: path.join(this.directory, name),
      mkdir: true,
      append: true,
      sync: false,
      // Owner-only like everything under COVEN_HOME (the daemon's umask is 077 too).
      mode: 0o600,
      minLength: LOG_BUFFER_BYTES,
    });
  }

  private flushBuffered(): void {
    for (const destination of [this.file, this.also]) {
      try {
        destination?.flush();
      } catch {
        // a write is in flight; the next tick flushes
      }
    }
  }
}

export interface DaemonLogger {
  logger: Logger;
  /** Flushes every destination; call before exiting. */
  flush(): void;
}

/**
 * The log goes to the daily file always, and also to stdout for a foreground daemon (a supervisor such as
 * systemd collects it there) unless COVEN_LOG_STDOUT=0. COVEN_LOG_LEVEL sets the level (default info).
 */
export function createDaemonLogger(
  logsDirectory: string,
  redactor: Redactor,
  env: NodeJS.ProcessEnv,
): DaemonLogger {
  const stdout =
    env.COVEN_LOG_STDOUT !== "0"
      ? pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES })
      : undefined;
  const destination = new DailyLogDestination(logsDirectory, redactor, () => new Date(), stdout);
  const logger = pino({ name: "coven", level: env.COVEN_LOG_LEVEL ?? "info" }, destination);
  return { logger, flush: () => destination.flushSync() };
}
