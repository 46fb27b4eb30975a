import type { EventRecord } from "../../contract/events.js";
import type { CovenTrpcClient } from "./trpc-client.js";

export interface FollowOptions {
  /** Start after this seq (0: from the session's first event). */
  afterSeq?: number;
  signal?: AbortSignal;
  /**
   * How long to keep reconnecting after the connection dropped before giving up. A daemon that went away
   * ends its harnesses with it, so waiting long is pointless; this covers a dropped connection.
   */
  reconnectWindowMs?: number;
  /** Told about each reconnect, with the seq it resumes after. */
  onReconnect?: (afterSeq: number) => void;
}

export interface FollowDependencies {
  trpc: CovenTrpcClient;
  /** Turns anything the subscription reported into the client's typed error. */
  mapError(error: unknown): Error;
  /** Called when reconnecting gave up: the error to throw (daemon not running, or the last failure). */
  giveUp(lastError: unknown): Error;
  /** Whether the session is over (terminal or gone), asked when a stream ends without an `exit` event. */
  sessionIsOver(sessionId: string): Promise<boolean>;
}

type Item =
  | { kind: "started" }
  | { kind: "event"; event: EventRecord }
  | { kind: "end" }
  | { kind: "error"; error: unknown }
  | { kind: "dropped"; error: unknown }
  | { kind: "aborted" };

/** A tiny unbounded queue from subscription callbacks to an async generator. */
class ItemQueue {
  private readonly items: Item[] = [];
  private waiter: ((item: Item) => void) | undefined;

  push(item: Item): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(item);
    } else this.items.push(item);
  }

  next(): Promise<Item> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Follows one session's events (or, without a session id, the whole ledger's) through the live subscription:
 * the daemon replays after the cursor, then pushes events as they commit. When the connection drops, it
 * subscribes again after the last `seq` it yielded, so nothing is lost or repeated. The generator returns when
 * the session is over (after its `exit` event) or the signal aborts; it throws the client's typed errors.
 */
export async function* followEvents(
  deps: FollowDependencies,
  sessionId: string | undefined,
  options: FollowOptions = {},
): AsyncGenerator<EventRecord> {
  const { signal } = options;
  const windowMs = options.reconnectWindowMs ?? 3000;
  let cursor = options.afterSeq ?? 0;
  let failingSince: number | undefined;
  let lastError: unknown;
  let delayMs = 25;
  for (let attempt = 0; !signal?.aborted; attempt += 1) {
    if (attempt > 0) options.onReconnect?.(cursor);
    const queue = new ItemQueue();
    const subscription = deps.trpc.events.stream.subscribe(
      sessionId === undefined ? { afterSeq: cursor } : { sessionId, afterSeq: cursor },
      {
        onStarted: () => queue.push({ kind: "started" }),
        onData: (envelope) => queue.push({ kind: "event", event: envelope.data as EventRecord }),
        onError: (error) => queue.push({ kind: "error", error }),
        onComplete: () => queue.push({ kind: "end" }),
        onConnectionStateChange: (state) => {
          if (state.state === "connecting" && state.error)
            queue.push({ kind: "dropped", error: state.error });
        },
      },
    );
    const onAbort = () => queue.push({ kind: "aborted" });
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const item = await queue.next();
        // Once aborted, nothing more is yielded, not even events that arrived before the abort was noticed.
        if (item.kind === "aborted" || signal?.aborted) return;
        if (item.kind === "error") throw deps.mapError(item.error);
        if (item.kind === "started") {
          failingSince = undefined;
          delayMs = 25;
          continue;
        }
        if (item.kind === "event") {
          // A resumed stream starts after the cursor; anything at or before it was already yielded.
          if (item.event.seq <= cursor) continue;
          cursor = item.event.seq;
          yield item.event;
          if (sessionId !== undefined && item.event.kind === "exit") return;
          continue;
        }
        if (item.kind === "end") {
          // A stream also ends when the daemon shuts down; only a finished session ends the follow.
          if (sessionId !== undefined) {
            try {
              if (await deps.sessionIsOver(sessionId)) return;
            } catch (error) {
              lastError = error;
            }
          }
          break;
        }
        lastError = item.error;
        break;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      subscription.unsubscribe();
    }
    failingSince ??= Date.now();
    if (Date.now() - failingSince > windowMs) throw deps.giveUp(lastError);
    await sleep(delayMs, signal);
    delayMs = Math.min(delayMs * 2, 400);
  }
}
