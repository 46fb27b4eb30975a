import { TRPCClientError } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { ErrorCode } from "../../contract/errors.js";
import type { EventPage, EventRecord } from "../../contract/events.js";
import type { CapabilitiesFlags, Health } from "../../contract/health.js";
import type { LaunchSessionRequest, SessionRecord, SessionStatus } from "../../contract/sessions.js";
import type { AppRouter } from "../../server/router/index.js";
import {
  CovenClientError,
  CovenConnectionError,
  DaemonNotRunningError,
  IncompatibleDaemonError,
  isNotRunningCause,
} from "./errors.js";
import { type FollowOptions, followEvents } from "./event-stream.js";
import { covenSocketPath, resolveCovenHome } from "./home.js";
import { type CovenTrpcClient, createSocketTrpcConnection } from "./trpc-client.js";

/** The named contract this client speaks (type-checked against the contract's literal, no runtime import). */
export const CLIENT_API_VERSION: Health["apiVersion"] = "coven.daemon.v1";

type RouterOutputs = inferRouterOutputs<AppRouter>;
type RouterInputs = inferRouterInputs<AppRouter>;
export type SessionPage = Extract<RouterOutputs["sessions"]["list"], { sessions: unknown }>;
export type SessionListQuery = NonNullable<RouterInputs["sessions"]["list"]>;
export type OkAccepted = RouterOutputs["sessions"]["kill"];
export type { EventPage, EventRecord, Health, LaunchSessionRequest, SessionRecord, SessionStatus };

/** A capability flag a call can require (the boolean ones). */
export type CapabilityName = {
  [K in keyof CapabilitiesFlags]: CapabilitiesFlags[K] extends boolean ? K : never;
}[keyof CapabilitiesFlags];

const TERMINAL: ReadonlySet<SessionStatus> = new Set(["completed", "failed", "killed", "orphaned"]);

export function isTerminalStatus(status: SessionStatus): boolean {
  return TERMINAL.has(status);
}

export interface CovenClientOptions {
  /** Defaults to `$COVEN_HOME`, else `~/.coven`. */
  home?: string;
  /** Defaults to `<home>/coven.sock`. */
  socketPath?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The typed client of `coven.daemon.v1` over the Unix socket, shared by the CLI and the OpenClaw bridge.
 * Every call first completes the handshake (exact `apiVersion`, `ok`, and the capabilities that call needs);
 * reads travel in the same batched request as the handshake, writes wait for it. Failures arrive as
 * `CovenClientError` (a contract code from the daemon), `DaemonNotRunningError`, `IncompatibleDaemonError`
 * or `CovenConnectionError`.
 */
export class CovenClient {
  readonly home: string;
  readonly socketPath: string;
  readonly trpc: CovenTrpcClient;
  private readonly closeTransport: () => void;
  private handshakePromise: Promise<Health> | undefined;
  private lastConnectError: { error: NodeJS.ErrnoException; at: number } | undefined;

  constructor(options: CovenClientOptions = {}) {
    this.home = options.home ?? resolveCovenHome(options.env);
    this.socketPath = options.socketPath ?? covenSocketPath(this.home);
    const connection = createSocketTrpcConnection(this.socketPath, {
      onConnectError: (error) => {
        this.lastConnectError = { error, at: Date.now() };
      },
    });
    this.trpc = connection.trpc;
    this.closeTransport = connection.close;
  }

  /** The health answer, checked once per client: the named contract, `ok`, a capabilities object. */
  handshake(): Promise<Health> {
    this.handshakePromise ??= this.trpc.health.query().then(
      (health) => {
        const answer = health as Partial<Health> | null;
        if (answer?.apiVersion !== CLIENT_API_VERSION) {
          throw new IncompatibleDaemonError(
            `The daemon at ${this.socketPath} speaks ${JSON.stringify(answer?.apiVersion ?? null)}, ` +
              `not ${CLIENT_API_VERSION}; upgrade whichever of coven and the daemon is older.`,
          );
        }
        if (answer.ok !== true || typeof answer.capabilities !== "object" || answer.capabilities === null) {
          throw new IncompatibleDaemonError(`The daemon at ${this.socketPath} did not report itself ok.`);
        }
        return health;
      },
      (error: unknown) => {
        throw this.mapError(error);
      },
    );
    // A failed handshake is retried by the next call rather than remembered.
    this.handshakePromise.catch(() => {
      this.handshakePromise = undefined;
    });
    return this.handshakePromise;
  }

  /** Resolves with the health answer when the daemon advertises every named capability. */
  async requireCapabilities(...names: CapabilityName[]): Promise<Health> {
    const health = await this.handshake();
    for (const name of names) {
      if (health.capabilities[name] !== true) {
        throw new IncompatibleDaemonError(
          `The daemon (coven ${health.covenVersion}) does not offer ${name}; upgrade it.`,
          name,
        );
      }
    }
    return health;
  }

  /** Whether the daemon advertises a capability (after the handshake). */
  async hasCapability(name: CapabilityName): Promise<boolean> {
    return (await this.handshake()).capabilities[name] === true;
  }

  // --- sessions -------------------------------------------------------------------------------------------

  /** One page, always in the paged shape (`{ sessions, next_cursor }`). */
  async listSessions(query: SessionListQuery & { limit: number }): Promise<SessionPage> {
    const list = await this.read(["sessions"], () => this.trpc.sessions.list.query(query));
    return Array.isArray(list) ? { sessions: list, next_cursor: null } : list;
  }

  /**
   * Newest first, following the daemon's cursor until `limit` sessions were read or none are left. The
   * result is one page: every session read, and the cursor after the last of them (null when none are left).
   */
  async collectSessions(options: { limit: number; includeArchived?: boolean }): Promise<SessionPage> {
    const sessions: SessionRecord[] = [];
    let cursor: string | undefined;
    for (;;) {
      const want = Math.min(1000, options.limit - sessions.length);
      const page = await this.listSessions({
        limit: want,
        includeArchived: options.includeArchived ?? false,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      sessions.push(...page.sessions);
      if (page.next_cursor === null || sessions.length >= options.limit) {
        return { sessions, next_cursor: page.next_cursor };
      }
      cursor = page.next_cursor;
    }
  }

  getSession(id: string): Promise<SessionRecord> {
    return this.read(["sessions"], () => this.trpc.sessions.get.query({ id }));
  }

  /**
   * The one session whose id is `idOrPrefix` or starts with it. Unknown → `session_not_found`; several →
   * `invalid_request` with `details.reason = "ambiguous_prefix"` and `details.candidates`. A daemon without
   * `sessionArchive` (which includes resolve) is asked for the exact id only.
   */
  async resolveSession(idOrPrefix: string): Promise<SessionRecord> {
    const health = this.handshake();
    const resolved = this.trpc.sessions.resolve.query({ prefix: idOrPrefix }).then(
      (record) => ({ record }),
      (error: unknown) => ({ error }),
    );
    const { capabilities } = await health;
    if (capabilities.sessionArchive !== true) return this.getSession(idOrPrefix);
    const outcome = await resolved;
    if ("error" in outcome) throw this.mapError(outcome.error);
    return outcome.record;
  }

  launch(request: LaunchSessionRequest): Promise<SessionRecord> {
    return this.write(["sessionLaunch"], () => this.trpc.sessions.launch.mutate(request));
  }

  sendInput(id: string, data: string): Promise<OkAccepted> {
    return this.write(["sessionLaunch"], () => this.trpc.sessions.input.mutate({ id, data }));
  }

  kill(id: string): Promise<OkAccepted> {
    return this.write(["sessionLaunch"], () => this.trpc.sessions.kill.mutate({ id }));
  }

  resize(id: string, cols: number, rows: number): Promise<OkAccepted> {
    return this.write(["terminalResize"], () => this.trpc.sessions.resize.mutate({ id, cols, rows }));
  }

  archive(id: string): Promise<SessionRecord> {
    return this.write(["sessionArchive"], () => this.trpc.sessions.archive.mutate({ id }));
  }

  summon(id: string): Promise<SessionRecord> {
    return this.write(["sessionArchive"], () => this.trpc.sessions.summon.mutate({ id }));
  }

  sacrifice(id: string): Promise<OkAccepted> {
    return this.write(["sessionArchive"], () => this.trpc.sessions.sacrifice.mutate({ id }));
  }

  // --- events ---------------------------------------------------------------------------------------------

  eventPage(sessionId: string, afterSeq = 0, limit = 1000): Promise<EventPage> {
    return this.read(["events"], () => this.trpc.events.list.query({ sessionId, afterSeq, limit }));
  }

  /** Every stored event of a session after `afterSeq`, page by page (no waiting for new ones). */
  async *listEvents(sessionId: string, afterSeq = 0): AsyncGenerator<EventRecord> {
    let cursor = afterSeq;
    for (;;) {
      const page = await this.eventPage(sessionId, cursor);
      yield* page.events;
      if (!page.hasMore || page.nextCursor === null) return;
      cursor = page.nextCursor.afterSeq;
    }
  }

  /**
   * Replays a session's events after `afterSeq`, then yields new ones as they commit, until the session is
   * over (after its `exit` event). A dropped connection is resumed after the last yielded `seq`; when the
   * daemon is gone it throws `DaemonNotRunningError`.
   */
  async *followSession(sessionId: string, options: FollowOptions = {}): AsyncGenerator<EventRecord> {
    await this.requireCapabilities("liveEventStream");
    yield* followEvents(
      {
        trpc: this.trpc,
        mapError: (error) => this.mapError(error),
        giveUp: (lastError) => this.giveUp(lastError),
        sessionIsOver: async (id) => {
          try {
            return isTerminalStatus((await this.trpc.sessions.get.query({ id })).status);
          } catch (error) {
            const mapped = this.mapError(error);
            if (mapped instanceof CovenClientError && mapped.code === "session_not_found") return true;
            throw mapped;
          }
        },
      },
      sessionId,
      options,
    );
  }

  /** Releases the socket connections (idle ones never keep the process alive anyway). */
  close(): void {
    this.closeTransport();
  }

  // --- plumbing -------------------------------------------------------------------------------------------

  /** Anything a call threw → the client's typed errors. */
  mapError(error: unknown): Error {
    if (
      error instanceof CovenClientError ||
      error instanceof DaemonNotRunningError ||
      error instanceof IncompatibleDaemonError ||
      error instanceof CovenConnectionError
    ) {
      return error;
    }
    if (isNotRunningCause(error))
      return new DaemonNotRunningError(this.socketPath, this.home, { cause: error });
    // The socket fetch's own timeout already says what happened and what to do.
    const cause = error instanceof TRPCClientError ? error.cause : error;
    if ((cause as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") {
      return new CovenConnectionError((cause as Error).message, { cause: error });
    }
    if (error instanceof TRPCClientError) {
      const data = (error.data ?? {}) as {
        covenCode?: ErrorCode;
        httpStatus?: number;
        details?: Record<string, unknown> | null;
      };
      if (data.covenCode) {
        return new CovenClientError(
          data.covenCode,
          error.message,
          data.httpStatus ?? 500,
          data.details ?? undefined,
        );
      }
      if (data.httpStatus === 404) {
        return new IncompatibleDaemonError(
          `The daemon at ${this.socketPath} does not know this call (${error.message}); upgrade it.`,
        );
      }
      return new CovenConnectionError(`The daemon's answer could not be used: ${error.message}`, {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new CovenConnectionError(`Talking to the daemon at ${this.socketPath} failed: ${message}`, {
      cause: error,
    });
  }

  private giveUp(lastError: unknown): Error {
    const recent = this.lastConnectError;
    if (recent && Date.now() - recent.at < 10_000 && isNotRunningCause(recent.error)) {
      return new DaemonNotRunningError(this.socketPath, this.home, { cause: recent.error });
    }
    return lastError === undefined
      ? new CovenConnectionError("The event stream kept dropping.")
      : this.mapError(lastError);
  }

  /** A read: sent together with the handshake (one batched request); the handshake's verdict comes first. */
  private async read<T>(capabilities: CapabilityName[], call: () => Promise<T>): Promise<T> {
    const ready = this.requireCapabilities(...capabilities);
    const result = call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await ready;
    const outcome = await result;
    if ("error" in outcome) throw this.mapError(outcome.error);
    return outcome.value;
  }

  /** A write: sent only after the handshake said the daemon offers what it needs. */
  private async write<T>(capabilities: CapabilityName[], call: () => Promise<T>): Promise<T> {
    await this.requireCapabilities(...capabilities);
    try {
      return await call();
    } catch (error) {
      throw this.mapError(error);
    }
  }
}
