import os from "node:os";
import type { CovenClient, SessionRecord } from "../core/client.js";
import { CovenClientError } from "../core/errors.js";
import { exitCodeOf, exitPayload, outputData } from "./ui/events.js";
import { colorEnabled, palette, shortIds } from "./ui/format.js";

/** Ctrl-]: detaches without touching the session (telnet's and tmux-less habit). */
export const DETACH_KEY = "\x1d";
const MAX_TERMINAL_SIDE = 1000;

type Outcome =
  | { kind: "ended" }
  | { kind: "detached" }
  | { kind: "signal"; signal: NodeJS.Signals }
  | { kind: "failed"; error: unknown };

/**
 * Owns the local terminal while attached: raw mode on the way in, and on every way out (detach, session end,
 * daemon gone, signal, even an unexpected exit of this process) back to the mode it had, with the modes a
 * harness may have switched on (alternate screen, hidden cursor, mouse reporting, bracketed paste) undone.
 */
class TerminalGuard {
  private raw = false;
  private altScreen = false;
  private readonly onExit = () => this.restore();

  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly stdout: NodeJS.WriteStream,
  ) {}

  enterRaw(): void {
    if (!this.stdin.isTTY || this.raw) return;
    this.stdin.setRawMode(true);
    this.raw = true;
    process.once("exit", this.onExit);
  }

  /** Watches output for the alternate screen, so leaving it is only asked when the harness entered it. */
  track(output: string): void {
    for (const match of output.matchAll(/\x1b\[\?(?:1049|1047|47)([hl])/g)) this.altScreen = match[1] === "h";
  }

  restore(): void {
    if (!this.raw) return;
    this.raw = false;
    process.off("exit", this.onExit);
    try {
      this.stdin.setRawMode(false);
    } catch {
      // the terminal is already gone
    }
    if (this.stdout.isTTY) {
      const leaveAlt = this.altScreen ? "\x1b[?1049l" : "";
      this.stdout.write(`${leaveAlt}\x1b[0m\x1b[?25h\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l`);
    }
  }
}

/**
 * Sends keystrokes and sizes to the session one request at a time, in order; what arrives while a request is
 * in flight is coalesced into the next one. Once the daemon says the session is not live, it stops quietly:
 * the session's `exit` event is on its way through the stream.
 */
class InputForwarder {
  private pendingInput = "";
  private pendingSize: [number, number] | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: CovenClient,
    private readonly sessionId: string,
  ) {}

  send(data: string): void {
    if (this.stopped || data.length === 0) return;
    this.pendingInput += data;
    this.kick();
  }

  resize(cols: number | undefined, rows: number | undefined): void {
    if (this.stopped || !cols || !rows) return;
    this.pendingSize = [Math.min(cols, MAX_TERMINAL_SIDE), Math.min(rows, MAX_TERMINAL_SIDE)];
    this.kick();
  }

  /** Waits (at most `timeoutMs`) for what was typed to reach the daemon. */
  async flush(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running ?? Promise.resolve(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  stop(): void {
    this.stopped = true;
  }

  private kick(): void {
    this.running ??= this.pump().finally(() => {
      this.running = undefined;
    });
  }

  private async pump(): Promise<void> {
    while (!this.stopped && (this.pendingInput || this.pendingSize)) {
      try {
        if (this.pendingSize) {
          const [cols, rows] = this.pendingSize;
          this.pendingSize = undefined;
          await this.client.resize(this.sessionId, cols, rows);
        }
        if (this.pendingInput) {
          const data = this.pendingInput;
          this.pendingInput = "";
          await this.client.sendInput(this.sessionId, data);
        }
      } catch (error) {
        // Not live any more: the stream brings the exit. Anything else (daemon gone) the stream reports too.
        if (!(error instanceof CovenClientError) || error.code === "session_not_live") this.stop();
      }
    }
  }
}

export interface AttachOptions {
  /** What the banner says happened ("attached to" by default, "started" after a launch). */
  verb?: string;
}

/**
 * `coven attach`: replays the session's events, then follows its live output; the local terminal goes raw and
 * every keystroke is forwarded as input, and terminal resizes follow. Ctrl-] detaches and leaves the session
 * running. Resolves with the exit code: the harness's own when the session ended (also when it had already
 * ended: then this only replays), 0 after a detach, 128 + n after signal n.
 */
export async function attachSession(
  client: CovenClient,
  record: SessionRecord,
  options: AttachOptions = {},
): Promise<number> {
  const { stdin, stdout, stderr } = process;
  const colors = palette(colorEnabled(stderr));
  const short = shortIds([record.id]).get(record.id) ?? record.id;
  const live = record.status === "created" || record.status === "running" || record.status === "idle";
  const note = (text: string) => {
    if (stderr.isTTY) stderr.write(`\r\n${colors.dim(`[coven] ${text}`)}\r\n`);
  };

  const stop = new AbortController();
  let outcome: Outcome | undefined;
  const settle = (next: Outcome) => {
    if (outcome) return;
    outcome = next;
    stop.abort();
  };

  const terminal = new TerminalGuard(stdin, stdout);
  const forwarder = new InputForwarder(client, record.id);
  const onKeys = (chunk: string | Buffer) => {
    const text = String(chunk);
    const at = text.indexOf(DETACH_KEY);
    if (at < 0) return forwarder.send(text);
    forwarder.send(text.slice(0, at));
    settle({ kind: "detached" });
  };
  const onResize = () => forwarder.resize(stdout.columns, stdout.rows);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const onSignal = (signal: NodeJS.Signals) => settle({ kind: "signal", signal });

  for (const signal of signals) process.on(signal, onSignal);
  if (live) {
    terminal.enterRaw();
    stdin.setEncoding("utf8");
    stdin.on("data", onKeys);
    stdin.resume();
    if (stdout.isTTY) {
      stdout.on("resize", onResize);
      onResize();
    }
    note(`${options.verb ?? "attached to"} session ${short} (${record.harness}); Ctrl-] detaches`);
  }

  let exit: ReturnType<typeof exitPayload> | undefined;
  try {
    for await (const event of client.followSession(record.id, { signal: stop.signal })) {
      if (event.kind === "output") {
        const data = outputData(event);
        terminal.track(data);
        stdout.write(data);
      } else if (event.kind === "output_truncated") {
        note(`some output was dropped under load (${describeDrop(event.payload_json)})`);
      } else if (event.kind === "exit") {
        exit = exitPayload(event);
      }
    }
    settle({ kind: "ended" });
  } catch (error) {
    settle({ kind: "failed", error });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    stdin.off("data", onKeys);
    stdout.off("resize", onResize);
    stdin.pause();
  }

  const final = outcome!;
  if (final.kind === "detached") await forwarder.flush(1000);
  forwarder.stop();
  terminal.restore();

  switch (final.kind) {
    case "detached":
      note(`detached; session ${short} is still running (\`coven attach ${short}\` to return)`);
      return 0;
    case "signal":
      note(`${final.signal}: detached; session ${short} goes on`);
      return 128 + (os.constants.signals[final.signal] ?? 1);
    case "failed":
      throw final.error;
    case "ended": {
      const signalNumbers = os.constants.signals as Record<string, number>;
      if (exit) {
        if (live) note(`session ${short} ${describeExit(exit)}`);
        return exitCodeOf(exit.status, exit.exitCode, exit.signal, signalNumbers);
      }
      const latest = await client.getSession(record.id).catch(() => record);
      if (live) note(`session ${short} ended: ${latest.status}`);
      return exitCodeOf(latest.status, latest.exit_code);
    }
  }
}

function describeExit(exit: { status: string; exitCode: number | null; signal?: string }): string {
  const code = exit.exitCode === null ? "" : ` (exit ${exit.exitCode})`;
  return `${exit.status}${code}${exit.signal ? ` by ${exit.signal}` : ""}`;
}

function describeDrop(payloadJson: string): string {
  try {
    const payload = JSON.parse(payloadJson) as { droppedEvents?: number; droppedBytes?: number };
    return `${payload.droppedEvents ?? "?"} chunks, ${payload.droppedBytes ?? "?"} bytes`;
  } catch {
    return "unknown amount";
  }
}
