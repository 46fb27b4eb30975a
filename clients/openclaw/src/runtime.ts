import { randomUUID } from "node:crypto";
import path from "node:path";
import {
  type AcpRuntime,
  type AcpRuntimeCapabilities,
  type AcpRuntimeDoctorReport,
  type AcpRuntimeEnsureInput,
  AcpRuntimeError,
  type AcpRuntimeEvent,
  type AcpRuntimeHandle,
  type AcpRuntimeStatus,
  type AcpRuntimeTurn,
  type AcpRuntimeTurnInput,
  type AcpRuntimeTurnResult,
} from "openclaw/plugin-sdk/acp-runtime";
import { CLIENT_API_VERSION, CovenClient, CovenClientError, type SessionRecord } from "../../core/index.js";
import { type CovenPluginConfig, harnessForAgent } from "./config.js";
import { DETAIL, isDaemonAbsent, toAcpRuntimeError } from "./errors.js";
import { EventQueue } from "./event-queue.js";
import { CovenEventMapper, type ExitInfo, turnResultFromExit } from "./mapping.js";
import { SocketTrustError, verifySocketTrust } from "./trust.js";

/** The id OpenClaw knows this backend by (`acp.backend`, `/acp spawn --backend`, `runtime.acp.backend`). */
export const COVEN_BACKEND_ID = "coven";

/** Daemon-issued ids are URL-safe; anything else never goes into a request (tRPC puts inputs in the URL). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TITLE = 200;
const MAX_CONVERSATION_ID = 256;
const MAX_SESSIONS = 4096;

export interface RuntimeLogger {
  info?(message: string): void;
  warn?(message: string): void;
}

export interface CovenRuntimeDeps {
  /** Builds the typed client (tests substitute nothing here; the seam exists for the trust checks' order). */
  createClient?: (config: CovenPluginConfig) => CovenClient;
  /** The runtime registered under `config.fallbackBackend`, looked up when a fallback is needed. */
  resolveFallback?: (backendId: string) => { runtime: AcpRuntime; healthy?: () => boolean } | null;
  logger?: RuntimeLogger;
  /** For the trust checks; defaults to the process's effective uid. */
  uid?: number;
}

interface ActiveTurn {
  requestId: string;
  covenSessionId: string | undefined;
  cancelRequested: boolean;
  /** Resolves once the launch request settled (with the session id, or undefined when it failed). */
  launched: Promise<string | undefined>;
}

interface SessionState {
  handle: AcpRuntimeHandle;
  harness: string;
  cwd: string;
  conversationId: string;
  active: ActiveTurn | undefined;
  lastCovenSessionId: string | undefined;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function stateKey(sessionKey: string, agentId: string | undefined): string {
  return `${agentId ?? ""}\u0000${sessionKey}`;
}

function bounded(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/**
 * The `coven` ACP runtime backend. An ACP session is a workspace plus a harness; each turn launches one Coven
 * session there (the daemon validates the directory and the harness), follows its live event stream (no
 * polling) and ends with the session's `exit`. Every call goes through the typed client of `clients/core`,
 * after the socket passed the trust checks and the daemon passed the handshake.
 */
export class CovenAcpRuntime implements AcpRuntime {
  /** Sessions are keyed by owner (agentId) and session key, so two owners never share one. */
  readonly ownerAwareSessions = 1 as const;
  private readonly sessions = new Map<string, SessionState>();
  private client: CovenClient | undefined;

  constructor(
    readonly config: CovenPluginConfig,
    private readonly deps: CovenRuntimeDeps = {},
  ) {}

  // --- connection -----------------------------------------------------------------------------------------

  private checkTrust(): void {
    verifySocketTrust({
      covenHome: this.config.covenHome,
      socketPath: this.config.socketPath,
      uid: this.deps.uid,
    });
  }

  /** Trust anchor, then the handshake (exact apiVersion, ok, the capabilities a turn needs). */
  private async connect(): Promise<CovenClient> {
    this.checkTrust();
    this.client ??=
      this.deps.createClient?.(this.config) ??
      new CovenClient({ home: this.config.covenHome, socketPath: this.config.socketPath });
    const client = this.client;
    try {
      await client.requireCapabilities("sessionLaunch", "liveEventStream");
      return client;
    } catch (error) {
      this.dropClient(client);
      throw error;
    }
  }

  /** After a failed exchange the next call starts over with a fresh handshake. */
  private dropClient(client: CovenClient): void {
    if (this.client === client) this.client = undefined;
    client.close();
  }

  /** For `healthy()`: the socket is there and trustworthy, or a configured fallback can take over. */
  isHealthy(): boolean {
    try {
      this.checkTrust();
      return true;
    } catch (error) {
      if (!isDaemonAbsent(error)) return false;
      return this.fallbackRuntime() !== undefined;
    }
  }

  private fallbackRuntime(): AcpRuntime | undefined {
    const id = this.config.allowFallback ? this.config.fallbackBackend : undefined;
    if (id === undefined) return undefined;
    const backend = this.deps.resolveFallback?.(id);
    if (!backend || backend.runtime === this) return undefined;
    try {
      if (backend.healthy && !backend.healthy()) return undefined;
    } catch {
      return undefined;
    }
    return backend.runtime;
  }

  /** The fallback that owns a handle it issued (its `backend` is the fallback's id), if any. */
  private fallbackFor(handle: AcpRuntimeHandle): AcpRuntime | undefined {
    if (handle.backend === COVEN_BACKEND_ID) return undefined;
    const runtime = this.fallbackRuntime();
    if (runtime && handle.backend === this.config.fallbackBackend) return runtime;
    throw new AcpRuntimeError(
      "ACP_BACKEND_UNAVAILABLE",
      `This handle belongs to backend "${handle.backend}".`,
      {
        detailCode: DETAIL.unknownHandle,
      },
    );
  }

  // --- sessions -------------------------------------------------------------------------------------------

  async ensureSession(input: AcpRuntimeEnsureInput): Promise<AcpRuntimeHandle> {
    // Refusals that need no daemon come first: nothing is sent for an agent or a directory we will not run.
    const harness = harnessForAgent(this.config, input.agent);
    if (harness === undefined) {
      const allowed = Object.keys(this.config.harnesses).sort().join(", ");
      throw new AcpRuntimeError(
        "ACP_SESSION_INIT_FAILED",
        `The coven backend does not run ACP agent "${bounded(input.agent, 64)}" (allowed: ${allowed}; add others under the plugin's "harnesses" config).`,
        { detailCode: DETAIL.agentNotAllowed },
      );
    }
    const cwd = input.cwd?.trim();
    if (!cwd || !path.isAbsolute(cwd) || cwd.includes("\0") || cwd.length > 4096) {
      throw new AcpRuntimeError(
        "ACP_INVALID_RUNTIME_OPTION",
        "The coven backend needs the session's workspace as an absolute cwd (the Coven daemon runs the harness there).",
        { detailCode: DETAIL.cwdRequired },
      );
    }
    try {
      await this.connect();
    } catch (error) {
      const fallback = isDaemonAbsent(error) ? this.fallbackRuntime() : undefined;
      if (fallback) {
        this.deps.logger?.warn?.(
          `coven: daemon not running at ${this.config.socketPath}; handing session to backend "${this.config.fallbackBackend}"`,
        );
        return fallback.ensureSession(input);
      }
      throw toAcpRuntimeError(error, "ACP_SESSION_INIT_FAILED", "the session");
    }
    const key = stateKey(input.sessionKey, input.agentId);
    const existing = this.sessions.get(key);
    // A session OpenClaw persisted (or asks to resume) names its last Coven session; it is only ever read back.
    const remembered = [
      existing?.lastCovenSessionId,
      input.persistedHandle?.backend === COVEN_BACKEND_ID
        ? input.persistedHandle.backendSessionId
        : undefined,
      input.resumeSessionId,
    ].find((id): id is string => typeof id === "string" && SESSION_ID.test(id));
    const handle: AcpRuntimeHandle = {
      sessionKey: input.sessionKey,
      ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
      backend: COVEN_BACKEND_ID,
      runtimeSessionName: bounded(`coven:${harness}:${input.sessionKey}`, 512),
      cwd,
      ...(remembered ? { backendSessionId: remembered } : {}),
    };
    this.remember(key, {
      handle,
      harness,
      cwd,
      conversationId: bounded(`openclaw:${input.agentId ?? "-"}:${input.sessionKey}`, MAX_CONVERSATION_ID),
      active: existing?.active,
      lastCovenSessionId: remembered,
    });
    return handle;
  }

  /** The state behind a handle; a handle persisted by an earlier process is re-admitted from its fields. */
  private stateFor(handle: AcpRuntimeHandle): SessionState {
    const key = stateKey(handle.sessionKey, handle.agentId);
    const known = this.sessions.get(key);
    if (known) return known;
    const match = /^coven:([^:]+):/.exec(handle.runtimeSessionName);
    const harness = match?.[1];
    const cwd = handle.cwd;
    if (
      !harness ||
      !Object.values(this.config.harnesses).includes(harness) ||
      !cwd ||
      !path.isAbsolute(cwd)
    ) {
      throw new AcpRuntimeError(
        "ACP_SESSION_INIT_FAILED",
        "This ACP session is not known to the coven backend.",
        {
          detailCode: DETAIL.unknownHandle,
        },
      );
    }
    const state: SessionState = {
      handle,
      harness,
      cwd,
      conversationId: bounded(`openclaw:${handle.agentId ?? "-"}:${handle.sessionKey}`, MAX_CONVERSATION_ID),
      active: undefined,
      lastCovenSessionId:
        handle.backendSessionId && SESSION_ID.test(handle.backendSessionId)
          ? handle.backendSessionId
          : undefined,
    };
    this.remember(key, state);
    return state;
  }

  /** Sessions OpenClaw never closed are forgotten oldest-first (idle ones only) past a fixed bound. */
  private remember(key: string, state: SessionState): void {
    this.sessions.delete(key);
    this.sessions.set(key, state);
    if (this.sessions.size <= MAX_SESSIONS) return;
    for (const [oldKey, old] of this.sessions) {
      if (this.sessions.size <= MAX_SESSIONS) break;
      if (!old.active) this.sessions.delete(oldKey);
    }
  }

  // --- turns ----------------------------------------------------------------------------------------------

  startTurn(input: AcpRuntimeTurnInput): AcpRuntimeTurn {
    const fallback = this.fallbackFor(input.handle);
    if (fallback) return startFallbackTurn(fallback, input);
    const state = this.stateFor(input.handle);
    const queue = new EventQueue<AcpRuntimeEvent>();
    const promptStarted = deferred<void>();
    const result = deferred<AcpRuntimeTurnResult>();
    const launched = deferred<string | undefined>();
    promptStarted.promise.catch(() => {});
    const turn: ActiveTurn = {
      requestId: input.requestId,
      covenSessionId: undefined,
      cancelRequested: false,
      launched: launched.promise,
    };
    state.active = turn;
    const onAbort = () => {
      void this.cancelTurn(turn).catch(() => {});
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });
    if (input.signal?.aborted) turn.cancelRequested = true;

    this.pump(state, turn, input, queue, { promptStarted, launched }).then(
      (outcome) => result.resolve(outcome),
      (error: unknown) => {
        promptStarted.reject(error);
        result.reject(error);
      },
    );
    result.promise
      .finally(() => {
        input.signal?.removeEventListener("abort", onAbort);
        queue.close();
        if (state.active === turn) state.active = undefined;
      })
      .catch(() => {});

    return {
      requestId: input.requestId,
      promptStarted: promptStarted.promise,
      events: queue,
      result: result.promise,
      cancel: async () => {
        await this.cancelTurn(turn);
      },
      closeStream: async () => {
        queue.abandon();
      },
    };
  }

  /** Launch, then follow the session's live events to its `exit`; resolves with the turn's result. */
  private async pump(
    state: SessionState,
    turn: ActiveTurn,
    input: AcpRuntimeTurnInput,
    queue: EventQueue<AcpRuntimeEvent>,
    signals: {
      promptStarted: ReturnType<typeof deferred<void>>;
      launched: ReturnType<typeof deferred<string | undefined>>;
    },
  ): Promise<AcpRuntimeTurnResult> {
    let record: SessionRecord;
    try {
      this.checkPrompt(input);
      if (turn.cancelRequested) {
        signals.launched.resolve(undefined);
        return { status: "cancelled", stopReason: "cancelled" };
      }
      const client = await this.connect();
      record = await client
        .launch({
          projectRoot: state.cwd,
          cwd: state.cwd,
          harness: state.harness,
          prompt: input.text,
          title: bounded(`OpenClaw ACP turn (${state.handle.sessionKey})`, MAX_TITLE),
          launchMode: "nonInteractive",
          conversationId: state.conversationId,
        })
        .catch((error: unknown) => {
          throw toAcpRuntimeError(error, "ACP_TURN_FAILED", "the launch");
        });
      if (!SESSION_ID.test(record.id)) {
        throw new AcpRuntimeError("ACP_TURN_FAILED", "The daemon answered with a malformed session id.", {
          detailCode: DETAIL.invalidSessionId,
        });
      }
    } catch (error) {
      signals.launched.resolve(undefined);
      throw toAcpRuntimeError(error, "ACP_TURN_FAILED", "the turn");
    }
    turn.covenSessionId = record.id;
    state.lastCovenSessionId = record.id;
    state.handle.backendSessionId = record.id;
    signals.launched.resolve(record.id);
    signals.promptStarted.resolve();
    // A cancel that arrived while the launch was in flight kills the session now.
    if (turn.cancelRequested) await this.kill(record.id);
    return this.follow(record.id, turn, queue);
  }

  private async follow(
    sessionId: string,
    turn: ActiveTurn,
    queue: EventQueue<AcpRuntimeEvent>,
  ): Promise<AcpRuntimeTurnResult> {
    const mapper = new CovenEventMapper({
      maxEventBytes: this.config.maxEventBytes,
      maxTurnOutputBytes: this.config.maxTurnOutputBytes,
    });
    let exit: ExitInfo | undefined;
    try {
      const client = await this.connect();
      for await (const record of client.followSession(sessionId)) {
        const mapped = mapper.map(record);
        queue.push(...mapped.events);
        if (mapped.exit) exit = mapped.exit;
      }
    } catch (error) {
      queue.push(...mapper.flush());
      throw toAcpRuntimeError(error, "ACP_TURN_FAILED", "the event stream");
    }
    if (!exit) {
      queue.push(...mapper.flush());
      if (turn.cancelRequested) return { status: "cancelled", stopReason: "cancelled" };
      throw new AcpRuntimeError(
        "ACP_TURN_FAILED",
        `The event stream of Coven session ${sessionId} ended without an exit.`,
        {
          detailCode: DETAIL.streamEnded,
        },
      );
    }
    return turnResultFromExit(exit, { cancelRequested: turn.cancelRequested });
  }

  private checkPrompt(input: AcpRuntimeTurnInput): void {
    if (input.attachments && input.attachments.length > 0) {
      throw new AcpRuntimeError(
        "ACP_INVALID_RUNTIME_OPTION",
        "Coven sessions take a text prompt only; attachments are not supported.",
        {
          detailCode: DETAIL.attachmentsUnsupported,
        },
      );
    }
    const bytes = Buffer.byteLength(input.text, "utf8");
    if (bytes > this.config.maxPromptBytes) {
      throw new AcpRuntimeError(
        "ACP_INVALID_RUNTIME_OPTION",
        `The prompt is ${bytes} bytes; the coven backend accepts at most ${this.config.maxPromptBytes}.`,
        { detailCode: DETAIL.promptTooLarge },
      );
    }
  }

  /** Legacy streaming API: the events of `startTurn`, then `done` or `error` from its result. */
  async *runTurn(input: AcpRuntimeTurnInput): AsyncIterable<AcpRuntimeEvent> {
    const turn = this.startTurn(input);
    try {
      for await (const event of turn.events) yield event;
    } finally {
      await turn.closeStream();
    }
    const result = await turn.result;
    if (result.status === "failed") {
      yield {
        type: "error",
        message: result.error.message,
        ...(result.error.code !== undefined ? { code: result.error.code } : {}),
        ...(result.error.detailCode !== undefined ? { detailCode: result.error.detailCode } : {}),
        ...(result.error.retryable !== undefined ? { retryable: result.error.retryable } : {}),
      };
      return;
    }
    yield {
      type: "done",
      status: result.status,
      ...(result.stopReason !== undefined ? { stopReason: result.stopReason } : {}),
    };
  }

  // --- control --------------------------------------------------------------------------------------------

  private async cancelTurn(turn: ActiveTurn): Promise<void> {
    turn.cancelRequested = true;
    const sessionId = turn.covenSessionId ?? (await turn.launched);
    if (sessionId !== undefined) await this.kill(sessionId);
  }

  /** Kills a Coven session; one that already ended is fine (the turn sees its exit either way). */
  private async kill(sessionId: string): Promise<void> {
    if (!SESSION_ID.test(sessionId)) return;
    try {
      const client = await this.connect();
      await client.kill(sessionId);
    } catch (error) {
      if (
        error instanceof CovenClientError &&
        (error.code === "session_not_live" || error.code === "session_not_found")
      ) {
        return;
      }
      throw toAcpRuntimeError(error, "ACP_TURN_FAILED", "the kill");
    }
  }

  async cancel(input: { handle: AcpRuntimeHandle; reason?: string }): Promise<void> {
    const fallback = this.fallbackFor(input.handle);
    if (fallback) return fallback.cancel(input);
    const state = this.sessions.get(stateKey(input.handle.sessionKey, input.handle.agentId));
    if (state?.active) await this.cancelTurn(state.active);
  }

  async close(input: {
    handle: AcpRuntimeHandle;
    reason: string;
    discardPersistentState?: boolean;
  }): Promise<void> {
    const fallback = this.fallbackFor(input.handle);
    if (fallback) return fallback.close(input);
    const key = stateKey(input.handle.sessionKey, input.handle.agentId);
    const state = this.sessions.get(key);
    if (state?.active) await this.cancelTurn(state.active).catch(() => {});
    this.sessions.delete(key);
  }

  getCapabilities(): AcpRuntimeCapabilities {
    return { controls: ["session/status"] };
  }

  async getStatus(input: { handle: AcpRuntimeHandle; signal?: AbortSignal }): Promise<AcpRuntimeStatus> {
    const fallback = this.fallbackFor(input.handle);
    if (fallback) {
      return fallback.getStatus
        ? fallback.getStatus(input)
        : { summary: `handled by backend ${input.handle.backend}` };
    }
    const state = this.stateFor(input.handle);
    const sessionId = state.active?.covenSessionId ?? state.lastCovenSessionId;
    if (sessionId === undefined) {
      return {
        summary: `coven (${state.harness} in ${state.cwd}): no Coven session launched yet`,
        details: { harness: state.harness, cwd: state.cwd },
      };
    }
    let record: SessionRecord;
    try {
      const client = await this.connect();
      record = await client.getSession(sessionId);
    } catch (error) {
      throw toAcpRuntimeError(error, "ACP_TURN_FAILED", "the status read");
    }
    const exit = record.exit_code !== null ? `, exit code ${record.exit_code}` : "";
    return {
      summary: `coven session ${record.id} (${record.harness}): ${record.status}${exit}`,
      backendSessionId: record.id,
      details: {
        status: record.status,
        exitCode: record.exit_code,
        harness: record.harness,
        cwd: record.cwd,
        createdAt: record.created_at,
        updatedAt: record.updated_at,
      },
    };
  }

  /** Daemon reachability (trust checks included), its apiVersion, and which mapped harnesses it can run. */
  async doctor(): Promise<AcpRuntimeDoctorReport> {
    const details = [`socket: ${this.config.socketPath}`];
    try {
      this.checkTrust();
    } catch (error) {
      const reason = error instanceof SocketTrustError ? error.reason : DETAIL.internal;
      const fallback = this.config.allowFallback ? ` (fallback backend: ${this.config.fallbackBackend})` : "";
      return {
        ok: false,
        code: reason === "socket_missing" ? DETAIL.daemonNotRunning : reason,
        message: `${error instanceof Error ? error.message : String(error)}${fallback}`,
        installCommand: "coven daemon start",
        details,
      };
    }
    let client: CovenClient;
    try {
      client = await this.connect();
    } catch (error) {
      const mapped = toAcpRuntimeError(error, "ACP_BACKEND_UNAVAILABLE", "the handshake");
      return { ok: false, code: mapped.detailCode ?? mapped.code, message: mapped.message, details };
    }
    const health = await client.handshake();
    details.push(`apiVersion: ${health.apiVersion} (this plugin speaks ${CLIENT_API_VERSION})`);
    details.push(`coven ${health.covenVersion}, daemon pid ${health.daemon.pid}`);
    let catalog: { capabilities: Array<{ id: string; status: string }> };
    try {
      catalog = await client.trpc.capabilities.list.query();
    } catch (error) {
      const mapped = toAcpRuntimeError(
        client.mapError(error),
        "ACP_BACKEND_UNAVAILABLE",
        "the capability list",
      );
      return { ok: false, code: mapped.detailCode ?? mapped.code, message: mapped.message, details };
    }
    const statusOf = new Map(catalog.capabilities.map((entry) => [entry.id, entry.status]));
    const available: string[] = [];
    for (const harness of [...new Set(Object.values(this.config.harnesses))].sort()) {
      const status = statusOf.get(`harness.${harness}`) ?? "unknown to the daemon";
      if (status === "available") available.push(harness);
      const agents = Object.entries(this.config.harnesses)
        .filter(([, value]) => value === harness)
        .map(([agent]) => agent)
        .sort();
      details.push(`harness ${harness} (agents ${agents.join(", ")}): ${status}`);
    }
    if (available.length === 0) {
      return {
        ok: false,
        code: "no_harness_available",
        message: `The Coven daemon is reachable but none of the mapped harnesses is installed on its PATH.`,
        details,
      };
    }
    return {
      ok: true,
      message: `Coven daemon reachable (${health.apiVersion}); harnesses available: ${available.join(", ")}.`,
      details,
    };
  }

  /** Releases the socket connections (the registry no longer holds this runtime). */
  dispose(): void {
    if (this.client) this.dropClient(this.client);
    this.sessions.clear();
  }
}

/** A turn on the fallback backend, through `startTurn` when it has one, else its legacy `runTurn`. */
function startFallbackTurn(fallback: AcpRuntime, input: AcpRuntimeTurnInput): AcpRuntimeTurn {
  if (fallback.startTurn) return fallback.startTurn(input);
  const queue = new EventQueue<AcpRuntimeEvent>();
  const result = (async (): Promise<AcpRuntimeTurnResult> => {
    let outcome: AcpRuntimeTurnResult = { status: "completed" };
    for await (const event of fallback.runTurn(input)) {
      if (event.type === "done")
        outcome = {
          status: event.status ?? "completed",
          ...(event.stopReason ? { stopReason: event.stopReason } : {}),
        };
      else if (event.type === "error") {
        outcome = {
          status: "failed",
          error: { message: event.message, code: event.code, detailCode: event.detailCode },
        };
      } else queue.push(event);
    }
    return outcome;
  })().finally(() => queue.close());
  return {
    requestId: input.requestId ?? randomUUID(),
    events: queue,
    result,
    cancel: async () => fallback.cancel({ handle: input.handle }),
    closeStream: async () => queue.abandon(),
  };
}
