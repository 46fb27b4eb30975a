import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import { Agent, fetch as undiciFetch } from "undici";
import type { AppRouter } from "../../server/router/index.js";

/** A fetch that speaks HTTP over the daemon's Unix socket (the URL's host is ignored). */
export function socketFetch(socketPath: string): typeof globalThis.fetch {
  const dispatcher = new Agent({ connect: { socketPath } });
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
}

/**
 * The typed tRPC client over the Unix socket; clients import only the router's type, never its code.
 * Queries and mutations are batched over HTTP; subscriptions (the live event stream) use server-sent events,
 * which reconnect with the last tracked id, so a dropped connection resumes from the last `seq`.
 */
export function createSocketTrpcClient(socketPath: string) {
  const fetch = socketFetch(socketPath);
  const url = "http://localhost/trpc";
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource: EventSource as unknown as typeof globalThis.EventSource,
          eventSourceOptions: () => ({ fetch }) as EventSourceInit,
        }),
        false: httpBatchLink({ url, fetch }),
      }),
    ],
  });
}

export type CovenTrpcClient = ReturnType<typeof createSocketTrpcClient>;
