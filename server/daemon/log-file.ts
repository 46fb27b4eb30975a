import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import type { Redactor } from "../privacy/redactor.js";

const LOG_BUFFER_BYTES = 8 * 1024;
const LOG_FLUSH_INTERVAL_MS = 500;

/** `daemon-YYYY-MM-DD.log` for the UTC day of `date`. */
export function dailyLogFileName(date: Date): string {
  return `daemon-${date.toISOString().slice(0, 10)}.log`;
}

/**
 * The daemon's structured log: one JSON line per record, appended (asynchronously) to
 * `$COVEN_HOME/logs/daemon-YYYY-MM-DD.log`, a new file each UTC day, each line passed through the redactor so
 * nothing secret-shaped reaches the disk, whatever a log call was given.
 */
export class DailyLogStream extends Writable {
  private day = "";
  private file: ReturnType<typeof pino.destination> | undefined;

  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly directory: string,
    private readonly redactor: Redactor,
    private readonly now: () => Date = () => new Date(),
  ) {
    super({ decodeStrings: false });
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.flushTimer = setInterval(() => this.flushBuffered(), LOG_FLUSH_INTERVAL_MS).unref();
  }

  private flushBuffered(): void {
    try {
      this.file?.flush();
    } catch {
      // a write is in flight; the next tick flushes
    }
  }

  get currentPath(): string {
    return path.join(this.directory, dailyLogFileName(this.now()));
  }

  override _write(
    chunk: string | Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const name = dailyLogFileName(this.now());
    if (name !== this.day) {
      this.file?.end();
      this.day = name;
      // Owner-only like everything under COVEN_HOME (the daemon's umask is 077 too).
      this.file = pino.destination({
        dest: path.join(this.directory, name),
        mkdir: true,
        append: true,
        sync: false,
        mode: 0o600,
        // Lines are buffered and written in batches (a write per request line would cost a syscall each); the
        // timer below bounds how long a line can wait.
        minLength: LOG_BUFFER_BYTES,
      });
    }
    this.file?.write(this.redactor.redact(String(chunk)));
    callback();
  }

  /** Writes out everything buffered (at shutdown). */
  flushSync(): void {
    try {
      this.file?.flushSync();
    } catch {
      // nothing was pending
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    clearInterval(this.flushTimer);
    this.flushSync();
    this.file?.end();
    callback();
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
  const file = new DailyLogStream(logsDirectory, redactor);
  const streams: pino.StreamEntry[] = [{ stream: file }];
  const stdout = env.COVEN_LOG_STDOUT !== "0" ? pino.destination({ dest: 1, sync: false }) : undefined;
  if (stdout) streams.push({ stream: stdout });
  const logger = pino({ name: "coven", level: env.COVEN_LOG_LEVEL ?? "info" }, pino.multistream(streams));
  return {
    logger,
    flush() {
      file.flushSync();
      try {
        stdout?.flushSync();
      } catch {
        // stdout may be closed
      }
    },
  };
}
