import os from "node:os";
import * as pty from "node-pty";
import {
  DEFAULT_TERMINAL_COLS,
  DEFAULT_TERMINAL_ROWS,
  type LaunchSessionRequest,
  type SessionRecord,
} from "../../contract/sessions.js";
import type { CapabilityService } from "../capabilities.js";
import { CovenError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import { freshSession, toSessionRecord } from "../ledger/records.js";
import { newSessionId } from "../policy/ids.js";
import { canonicalProjectRoot, resolveCwdInsideRoot } from "../policy/paths.js";
import type { Redactor } from "../privacy/redactor.js";
import { StreamRedactor } from "../privacy/stream-redactor.js";
import { buildHarnessArgv, requireHarnessAdapter, resolveExecutable } from "./adapters/index.js";
import { EchoGuard } from "./echo-guard.js";
import { HeldStream, type ReleaseDelays } from "./held-stream.js";
import { type LiveSession, LiveSessionRegistry } from "./live-session.js";
import { terminalOpen } from "./pty-descriptor.js";
import { readTailBeforeClose } from "./pty-exit-tail.js";

export interface SessionRuntimeOptions {
  ledger: Ledger;
  capabilities: CapabilityService;
  redactor: Redactor;
  env: NodeJS.ProcessEnv;
  /** How long a killed harness gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** When held output and input (an unfinished last word) are released; default 40 ms, 1 s for a possible secret. */
  releaseDelays?: ReleaseDelays;
  onTransition?: (sessionId: string, status: string) => void;
}

const MAX_TITLE = 200;

/** The prompt's first line, redacted before it is cut short: a cut first could leave a key too short to match. */
function defaultTitle(prompt: string, redactor: Redactor): string {
  const firstLine = redactor.redact(prompt.split(/\r?\n/, 1)[0]?.trim() ?? "");
  return firstLine.length > MAX_TITLE ? `${firstLine.slice(0, MAX_TITLE - 1)}…` : firstLine;
}

/**
 * What an input released when nothing waits for it (after quiet, before the exit) is appended without a caller to
 * tell: a writer that fails reports that itself (health's `eventWriter.state`), and the input reached the PTY.
 * Once the writer is closed (a stop that a harness outlived), nothing more can be recorded.
 */
function ignoreWriterFailure(): void {}

/**
 * Supervises harness PTYs: policy first, then the ledger row, then the spawn; output and input flow through their
 * stream redactors into the event writer; exit is recorded with the status change in one transaction.
 */
export class SessionRuntime {
  readonly live = new LiveSessionRegistry();
  private readonly killGraceMs: number;
  private readonly releaseDelays: ReleaseDelays;
  private stopping = false;
  /** Launches accepted before a stop began and not yet finished. */
  private readonly launching = new Set<Promise<SessionRecord>>();

  constructor(private readonly options: SessionRuntimeOptions) {
    this.killGraceMs = options.killGraceMs ?? 3000;
    this.releaseDelays = options.releaseDelays ?? { idleMs: 40, secretIdleMs: 1000 };
  }

  async launch(request: LaunchSessionRequest): Promise<SessionRecord> {
    // A harness started now would be orphaned by the stop in progress.
    if (this.stopping)
      throw new CovenError("runtime_unavailable", "The daemon is stopping; launch again once it runs.");
    // A launch already past that check finishes (its harness then attached) before a stop looks for harnesses.
    const launching = this.launchAccepted(request);
    this.launching.add(launching);
    try {
      return await launching;
    } finally {
      this.launching.delete(launching);
    }
  }

  private async launchAccepted(request: LaunchSessionRequest): Promise<SessionRecord> {
    const { ledger, capabilities, env, redactor } = this.options;
    // Policy, in the daemon, before anything is written or spawned.
    const projectRoot = canonicalProjectRoot(request.projectRoot);
    const cwd = resolveCwdInsideRoot(projectRoot, request.cwd);
    const adapter = requireHarnessAdapter(capabilities.adapters, request.harness);
    const executable = resolveExecutable(adapter.executable, env.PATH ?? "");
    if (!executable) {
      throw new CovenError(
        "invalid_request",
        `The ${adapter.label} executable \`${adapter.executable}\` is not on the daemon's PATH.` +
          (adapter.installHint ? ` Install it: ${adapter.installHint}` : ""),
        {
          field: "harness",
          harness: adapter.id,
          executable: adapter.executable,
          installHint: adapter.installHint,
        },
      );
    }
    const mode = request.launchMode ?? "interactive";
    const argv = buildHarnessArgv(adapter, request.prompt, mode);

    const session = freshSession({
      id: newSessionId(),
      projectRoot,
      cwd,
      harness: adapter.id,
      // Titles are shown everywhere and often come from the prompt: redacted like everything stored, and so are
      // the other free-text fields a client may send.
      title:
        request.title !== undefined ? redactor.redact(request.title) : defaultTitle(request.prompt, redactor),
      status: "created",
      launchMode: mode,
      conversationId: request.conversationId !== undefined ? redactor.redact(request.conversationId) : null,
      model: request.model !== undefined ? redactor.redact(request.model) : null,
    });
    await ledger.writer.transact((tx) => tx.sessions.insert(session));

    let child: pty.IPty;
    try {
      child = pty.spawn(executable, argv, {
        name: "xterm-256color",
        cols: request.cols ?? DEFAULT_TERMINAL_COLS,
        rows: request.rows ?? DEFAULT_TERMINAL_ROWS,
        cwd,
        env: { ...env, TERM: "xterm-256color", COVEN_SESSION_ID: session.id },
      });
    } catch (error) {
      await ledger.writer.transact((tx) => {
        tx.sessions.update(session.id, { status: "failed" });
        tx.appendEvent(session.id, "exit", { status: "failed", exitCode: null, error: String(error) });
      }, session.id);
      this.options.onTransition?.(session.id, "failed");
      throw new CovenError("launch_failed", `The harness could not be started: ${String(error)}`, {
        sessionId: session.id,
      });
    }

    // Queued in the same tick as the spawn, so the launch event is ordered before any output.
    const running = ledger.writer.transact((tx) => {
      const updated = tx.sessions.update(session.id, { status: "running", pid: child.pid });
      tx.appendEvent(session.id, "launch", { harness: adapter.id, cwd, pid: child.pid });
      return updated;
    }, session.id);
    this.attach(session.id, child);
    const record = toSessionRecord(await running);
    this.options.onTransition?.(session.id, "running");
    return record;
  }

  input(sessionId: string, data: string): Promise<unknown> {
    const live = this.requireLive(sessionId, false);
    try {
      live.pty.write(data);
    } catch (error) {
      throw new CovenError("send_input_failed", `Writing to the terminal failed: ${String(error)}`, {
        sessionId,
      });
    }
    // Recorded as far as its words are complete: an unfinished last word waits for the next request, for quiet,
    // or for the kill or exit (see HeldStream), so a secret typed a keystroke per request is redacted whole.
    const recorded = this.recordInput(sessionId, live.input.push(data));
    live.echo.afterInput(data, live.input.possibleSecret);
    return recorded;
  }

  /** Appends an `input` event for what the session's input stream released (nothing when it released nothing). */
  private async recordInput(sessionId: string, data: string): Promise<void> {
    if (data.length > 0) await this.options.ledger.writer.append(sessionId, "input", { data });
  }

  async kill(sessionId: string): Promise<void> {
    const live = this.requireLive(sessionId, true);
    if (!live.killRequested) {
      live.killRequested = true;
      live.echo.end();
      // Input still held is recorded first: the log keeps what was sent before the kill ahead of it.
      await Promise.all([
        this.recordInput(sessionId, live.input.release()),
        this.options.ledger.writer.append(sessionId, "kill", { status: "killed" }),
      ]);
    }
    try {
      // node-pty makes the harness a session leader, so its pid is also its process group id.
      process.kill(-live.pty.pid, "SIGTERM");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
        throw new CovenError("kill_failed", `Signalling the harness failed: ${String(error)}`, { sessionId });
      }
    }
    live.killEscalation ??= setTimeout(() => {
      try {
        process.kill(-live.pty.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, this.killGraceMs);
  }

  resize(sessionId: string, cols: number, rows: number): void {
    this.requireLive(sessionId, false).pty.resize(cols, rows);
  }

  /** Kills every live harness and waits until their exits are recorded; launches are refused from now on. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.launching]);
    const pending = this.live.all().map((live) => this.kill(live.id).catch(() => {}));
    await Promise.all(pending);
    const deadline = Date.now() + this.killGraceMs + 2000;
    while (this.live.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private requireLive(sessionId: string, forKill: boolean): LiveSession {
    const live = this.live.get(sessionId);
    // Input and resizes need the terminal's descriptor too: see terminalOpen. A kill signals the process group.
    if (live && !live.exited && (forKill || terminalOpen(live.pty))) return live;
    const session = this.options.ledger.sessions.get(sessionId);
    if (forKill && session.external) {
      throw new CovenError("external_session_not_killable", undefined, { sessionId });
    }
    throw new CovenError("session_not_live", undefined, { sessionId, status: session.status });
  }

  private attach(sessionId: string, child: pty.IPty): void {
    const { ledger } = this.options;
    const emit = (text: string) => {
      if (text.length > 0) ledger.writer.appendOutput(sessionId, text);
    };
    const heldStream = (onIdleRelease: (text: string) => void) =>
      new HeldStream(new StreamRedactor(this.options.redactor), this.releaseDelays, onIdleRelease);
    const live: LiveSession = {
      id: sessionId,
      pty: child,
      output: heldStream(emit),
      input: heldStream((text) => {
        void this.recordInput(sessionId, text).catch(ignoreWriterFailure);
        live.echo.inputReleased(); // a secret begun was let out as typed: its echoes are no longer held
      }),
      echo: new EchoGuard(this.options.redactor, (text) => emit(live.output.push(text))),
      killRequested: false,
      exited: false,
      killEscalation: undefined,
    };
    this.live.add(live);
    const onOutput = (data: string) => {
      const now = live.echo.output(data);
      if (now !== undefined) emit(live.output.push(now));
    };
    child.onData(onOutput);
    readTailBeforeClose(child, onOutput);
    child.onExit(({ exitCode: reportedCode, signal }) => {
      live.exited = true;
      clearTimeout(live.killEscalation);
      live.echo.end();
      emit(live.output.release());
      void this.recordInput(sessionId, live.input.release()).catch(ignoreWriterFailure);
      // A process ended by a signal has no exit status: node-pty reports 0 for it, which must not read as success.
      const exitCode = signal ? null : reportedCode;
      const status = live.killRequested ? "killed" : exitCode === 0 ? "completed" : "failed";
      const signalName = signal ? signalNameOf(signal) : undefined;
      ledger.writer
        .transact((tx) => {
          tx.sessions.update(sessionId, { status, exitCode, pid: null });
          tx.appendEvent(sessionId, "exit", {
            status,
            exitCode,
            ...(signalName ? { signal: signalName } : {}),
          });
        }, sessionId)
        .finally(() => {
          this.live.delete(sessionId);
          this.options.onTransition?.(sessionId, status);
        });
    });
  }
}

function signalNameOf(signal: number): string {
  const names = os.constants.signals as Record<string, number>;
  return Object.keys(names).find((name) => names[name] === signal) ?? String(signal);
}
