import http from "node:http";
import { Readable } from "node:stream";

/**
 * The part of the Fetch API's Response that tRPC's links and the `eventsource` package read. Built on
 * `node:http` rather than undici or the global fetch: loading either costs more than a short CLI command's
 * whole budget, and `node:http` speaks to a Unix socket natively.
 */
export interface SocketResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly redirected: false;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  /** A web ReadableStream of the body (what an EventSource reads); created on first access. */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type SocketFetch = (
  input: string | URL | { url: string },
  init?: {
    method?: string;
    headers?: unknown;
    body?: unknown;
    signal?: AbortSignal | null;
  },
) => Promise<SocketResponse>;

function headerRecord(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  // tRPC and eventsource pass plain objects; a Headers instance or entry list is accepted too.
  const entries: Iterable<[string, unknown]> =
    Symbol.iterator in (headers as object)
      ? (headers as Iterable<[string, unknown]>)
      : Object.entries(headers as Record<string, unknown>);
  for (const [key, value] of entries) if (value !== undefined) record[key.toLowerCase()] = String(value);
  return record;
}

const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

/** A request the daemon accepted but never began to answer. */
function noAnswerError(socketPath: string, timeoutMs: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `Nothing answered on ${socketPath} within ${timeoutMs / 1000} s: the daemon may be hung ` +
      "(`coven daemon status` checks; `coven daemon stop` ends a hung daemon).",
  );
  error.code = "ETIMEDOUT";
  return error;
}

function abortError(): Error {
  const error = new Error("The operation was aborted.");
  error.name = "AbortError";
  return error;
}

class NodeSocketResponse implements SocketResponse {
  readonly redirected = false as const;
  private stream: ReadableStream<Uint8Array> | null = null;
  private consumed = false;

  constructor(
    private readonly message: http.IncomingMessage,
    readonly url: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get status(): number {
    return this.message.statusCode ?? 0;
  }

  get statusText(): string {
    return this.message.statusMessage ?? "";
  }

  get headers() {
    const raw = this.message.headers;
    const read = (name: string) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    };
    return { get: read, has: (name: string) => read(name) !== null };
  }

  get body(): ReadableStream<Uint8Array> {
    if (!this.stream) {
      this.consumed = true;
      this.stream = Readable.toWeb(this.message) as unknown as ReadableStream<Uint8Array>;
    }
    return this.stream;
  }

  async text(): Promise<string> {
    if (this.consumed) throw new TypeError("The response body was already read.");
    this.consumed = true;
    const chunks: Buffer[] = [];
    for await (const chunk of this.message) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/**
 * A fetch over the daemon's Unix socket (the URL's host is ignored). Connections are kept alive between calls;
 * idle ones do not keep the process running. Connection failures reject with the socket's own error (its
 * `code` is ENOENT or ECONNREFUSED when nothing serves there), and `onConnectError` sees each of them.
 */
export function createSocketFetch(
  socketPath: string,
  options: {
    onConnectError?: (error: NodeJS.ErrnoException) => void;
    /**
     * How long a read (a GET: a query, the handshake, a stream) waits for its response to begin once it has a
     * connection (default 30 s). The daemon answers reads at once, streams included; one that does not is hung
     * (or not a daemon), and the caller hears so instead of waiting forever. Once the response has begun there
     * is no limit: a stream may idle. Changes (POST) have none: one may wait behind a long vacuum, and giving up
     * on a launch the daemon still carries out would invite a duplicate.
     */
    responseTimeoutMs?: number;
  } = {},
): { fetch: SocketFetch; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const fetch: SocketFetch = (input, init = {}) =>
    new Promise<SocketResponse>((resolve, reject) => {
      const url = new URL(typeof input === "string" ? input : "href" in input ? input.href : input.url);
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortError());
      const body =
        init.body === undefined || init.body === null
          ? undefined
          : typeof init.body === "string" || init.body instanceof Uint8Array
            ? init.body
            : String(init.body);
      const headers = headerRecord(init.headers);
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const request = http.request({
        socketPath,
        agent,
        method: init.method ?? "GET",
        path: url.pathname + url.search,
        headers: { host: "localhost", ...headers },
      });
      const onAbort = () => {
        request.destroy(abortError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      if ((init.method ?? "GET") === "GET") {
        // From when the request has a connection: waiting for one of the agent's sockets is not the daemon's delay.
        request.once("socket", () => {
          timer = setTimeout(
            () => request.destroy(noAnswerError(socketPath, responseTimeoutMs)),
            responseTimeoutMs,
          );
          // Only a call in flight keeps the process alive, as before.
          timer.unref();
        });
      }
      request.once("response", (message) => {
        clearTimeout(timer);
        message.once("close", () => signal?.removeEventListener("abort", onAbort));
        resolve(new NodeSocketResponse(message, url.href));
      });
      request.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error.name === "AbortError" || signal?.aborted) return reject(abortError());
        if (error.syscall === "connect") options.onConnectError?.(error);
        reject(error);
      });
      request.end(body);
    });
  return { fetch, close: () => agent.destroy() };
}
