import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { Agent, fetch as undiciFetch } from "undici";
import type { AppRouter } from "../../server/router/index.js";

/** A fetch that speaks HTTP over the daemon's Unix socket (the URL's host is ignored). */
export function socketFetch(socketPath: string): typeof globalThis.fetch {
  const dispatcher = new Agent({ connect: { socketPath } });
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
}

/** The typed tRPC client over the Unix socket; clients import only the router's type, never its code. */
export function createSocketTrpcClient(socketPath: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: "http://localhost/trpc", fetch: socketFetch(socketPath) })],
  });
}

export type CovenTrpcClient = ReturnType<typeof createSocketTrpcClient>;
