import { Agent } from "undici";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body text (for an event stream: whatever arrived before it was cut off). */
  text: string;
  ms: number;
}

/**
 * Sends exactly the request it is given over the daemon's socket: the path is not normalised (`..`, `%FF` and
 * `%00` reach the server as written), the body may be any bytes. An event stream is read for at most
 * `streamMs` and then cut off, since the whole-ledger stream never ends by itself.
 */
export async function rawRequest(
  agent: Agent,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    streamMs?: number;
    timeoutMs?: number;
  },
): Promise<RawResponse> {
  const started = performance.now();
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(new Error("request timed out")), options.timeoutMs ?? 30_000);
  try {
    const response = await agent.request({
      origin: "http://localhost",
      method: options.method as "GET",
      path: options.path,
      headers: options.headers,
      body: options.body,
      signal: abort.signal,
    });
    const contentType = String(response.headers["content-type"] ?? "");
    let text = "";
    if (contentType.startsWith("text/event-stream")) {
      const cut = setTimeout(() => response.body.destroy(), options.streamMs ?? 150);
      try {
        for await (const chunk of response.body) {
          text += chunk.toString();
          if (text.length > 256 * 1024) break;
        }
      } catch {
        // cut off on purpose
      } finally {
        clearTimeout(cut);
        response.body.destroy();
      }
    } else {
      text = await response.body.text();
    }
    return { status: response.statusCode, headers: response.headers, text, ms: performance.now() - started };
  } finally {
    clearTimeout(timeout);
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight; resolves with the results in order. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  });
  await Promise.all(workers);
  return results;
}

/**
 * Follows a server-sent-events stream until it ends or `signal` aborts, handing each message's data and event
 * name to `onMessage`. Resolves with how it ended (never rejects).
 */
export async function followSse(
  socketPath: string,
  urlPath: string,
  onMessage: (data: string, event: string | undefined) => void,
  signal: AbortSignal,
): Promise<{ status: number; ended: "end" | "aborted" | "closed" | "error"; error?: string }> {
  const agent = new Agent({ connect: { socketPath }, bodyTimeout: 0, headersTimeout: 30_000 });
  let status = 0;
  try {
    const response = await agent.request({
      origin: "http://localhost",
      path: urlPath,
      method: "GET",
      signal,
    });
    status = response.statusCode;
    let buffer = "";
    let data: string[] = [];
    let event: string | undefined;
    for await (const chunk of response.body) {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (data.length > 0 || event) {
            onMessage(data.join("\n"), event);
            if (event === "end") return { status, ended: "end" };
          }
          data = [];
          event = undefined;
        } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        else if (line.startsWith("event:")) event = line.slice(6).trim();
      }
    }
    return { status, ended: "closed" };
  } catch (error) {
    if (signal.aborted) return { status, ended: "aborted" };
    return { status, ended: "error", error: (error as Error).message };
  } finally {
    agent.destroy().catch(() => {});
  }
}

export class Latencies {
  private readonly samples = new Map<string, number[]>();

  add(kind: string, ms: number): void {
    const list = this.samples.get(kind) ?? [];
    list.push(ms);
    this.samples.set(kind, list);
  }

  summary(): Record<string, { n: number; p50: number; p99: number; max: number }> {
    const result: Record<string, { n: number; p50: number; p99: number; max: number }> = {};
    for (const [kind, list] of this.samples) {
      const sorted = [...list].sort((a, b) => a - b);
      const at = (p: number) =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
      result[kind] = { n: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1)!) };
    }
    return result;
  }
}
