import type { CovenClient } from "../core/client.js";
import { colorEnabled, type Palette, palette } from "./ui/format.js";

/** A refusal the CLI makes on its own, before asking the daemon (missing `--yes`, bad option value). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ActionIo {
  json: boolean;
  /** Colours for stdout (and for stderr, on its own terminal test). */
  colors: Palette;
  errColors: Palette;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** Prints a value as one line of JSON on stdout. */
  printJson(value: unknown): void;
  /** Terminal width of stdout, when it is a terminal. */
  width: number | undefined;
}

/** `coven sessions | head`: a reader that went away is not an error worth a stack trace. */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") > 0) continue;
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

export function createIo(json: boolean): ActionIo {
  exitQuietlyOnClosedPipe();
  return {
    json,
    colors: palette(colorEnabled(process.stdout)),
    errColors: palette(colorEnabled(process.stderr)),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
    width: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}

/**
 * Runs one command against the daemon: loads the client only now (commands that do not talk to the daemon
 * never load it), reports failures the same way everywhere and sets the exit code. The body returns the exit
 * code (default 0). With `--json`, a daemon error prints the daemon's error envelope on stdout as well.
 */
export async function withClient(
  options: { json?: boolean },
  body: (client: CovenClient, io: ActionIo) => Promise<number | undefined>,
): Promise<void> {
  const io = createIo(options.json === true);
  const { CovenClient } = await import("../core/client.js");
  const client = new CovenClient();
  try {
    process.exitCode = (await body(client, io)) ?? 0;
  } catch (error) {
    process.exitCode = await reportError(error, io);
  } finally {
    client.close();
  }
}

/** Prints a failure for a human (stderr) and, for daemon errors under --json, the envelope (stdout). */
export async function reportError(error: unknown, io: ActionIo): Promise<number> {
  const errors = await import("../core/errors.js");
  const label = io.errColors.red("coven:");
  if (error instanceof errors.CovenClientError) {
    if (io.json) io.printJson(error.toEnvelope());
    io.err(`${label} ${describeClientError(error, errors)}`);
    return 1;
  }
  if (error instanceof Error) {
    // Errors that explain themselves: ours, and the system's (a path and what went wrong with it).
    const { code, syscall } = error as NodeJS.ErrnoException;
    const known =
      (typeof code === "string" && typeof syscall === "string") ||
      [
        "UsageError",
        "DaemonNotRunningError",
        "IncompatibleDaemonError",
        "CovenConnectionError",
        "UnsafeCovenHomeError",
        "PrivacyConfigError",
        "BundleError",
        "DaemonStartError",
        "DaemonStopError",
        "DaemonAlreadyRunningError",
        "SchemaTooNewError",
      ].includes(error.name);
    io.err(`${label} ${known ? error.message : `unexpected error: ${error.stack ?? error.message}`}`);
    return 1;
  }
  io.err(`${label} unexpected error: ${String(error)}`);
  return 1;
}

function describeClientError(
  error: { code: string; message: string; details: Record<string, unknown> | undefined },
  reasons: { REASON_AMBIGUOUS_PREFIX: string; REASON_SESSION_IS_LIVE: string },
): string {
  const details = error.details ?? {};
  if (details.reason === reasons.REASON_AMBIGUOUS_PREFIX && Array.isArray(details.candidates)) {
    const more = details.truncated === true ? ", …" : "";
    return `${error.message} Candidates: ${details.candidates.join(", ")}${more}`;
  }
  if (details.reason === reasons.REASON_SESSION_IS_LIVE) {
    return `${error.message} (\`coven kill ${String(details.sessionId)}\`)`;
  }
  return `${error.message} [${error.code}]`;
}
