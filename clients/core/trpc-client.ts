import { createRequire } from "node:module";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import type { AppRouter } from "../../server/router/index.js";
import { createSocketFetch, type SocketFetch } from "./socket-fetch.js";

const require = createRequire(import.meta.url);
type EventSourceClass = typeof globalThis.EventSource;
let eventSourceClass: EventSourceClass | undefined;

/**
 * The `eventsource` package, loaded the first time a subscription starts: commands that never stream do not
 * pay for it. (The link constructs its EventSource synchronously, hence `require` rather than `import()`.)
 */
function LazyEventSource(this: unknown, url: string | URL, init?: EventSourceInit): EventSource {
  eventSourceClass ??= (require("eventsource") as { EventSource: EventSourceClass }).EventSource;
  return new eventSourceClass(url, init);
}

export interface SocketTrpcOptions {
  /** Called with every failed connection attempt (ENOENT / ECONNREFUSED when no daemon serves there). */
  onConnectError?: (error: NodeJS.ErrnoException) => void;
}

/**
 * The typed tRPC client over the Unix socket; clients import only the router's type, never its code.
 * Queries and mutations issued in the same tick are batched into one HTTP request; subscriptions (the live
 * event stream) use server-sent events.
 */
export function createSocketTrpcConnection(socketPath: string, options: SocketTrpcOptions = {}) {
  const transport = createSocketFetch(socketPath, options);
  const fetch = transport.fetch as unknown as typeof globalThis.fetch;
  const url = "http://localhost/trpc";
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource: LazyEventSource as unknown as EventSourceClass,
          eventSourceOptions: () => ({ fetch }) as EventSourceInit,
        }),
        false: httpBatchLink({ url, fetch }),
      }),
    ],
  });
  return { trpc, fetch: transport.fetch as SocketFetch, close: transport.close };
}

/** The typed tRPC client alone (its idle connections never keep the process alive). */
export function createSocketTrpcClient(socketPath: string) {
  return createSocketTrpcConnection(socketPath).trpc;
}

export type CovenTrpcClient = ReturnType<typeof createSocketTrpcClient>;
