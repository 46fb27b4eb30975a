import net from "node:net";
import type { FastifyInstance } from "fastify";
import { CovenError } from "../errors.js";
import { sendError } from "./error-reply.js";

export interface TcpListenerConfig {
  host: string;
  port: number;
  /** Host header names accepted besides the loopback ones (COVEN_TCP_ALLOWED_HOSTS). */
  allowedHosts: string[];
  /** Origins a browser may call from (COVEN_TCP_ALLOWED_ORIGINS); none by default. */
  allowedOrigins: string[];
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare === "localhost") return true;
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  return net.isIPv6(bare) && (bare === "::1" || bare === "0:0:0:0:0:0:0:1");
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * Parses `--tcp HOST:PORT`. Only loopback addresses are accepted: the TCP face exists for a local browser or a
 * tunnel, and anything else would expose the daemon beyond this machine's users.
 */
export function parseTcpListener(spec: string, env: NodeJS.ProcessEnv = process.env): TcpListenerConfig {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(spec.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port < 1 || port > 65535) {
    throw new Error(`--tcp ${spec}: expected HOST:PORT with a loopback HOST, e.g. 127.0.0.1:7420`);
  }
  const host = match[1] as string;
  if (!isLoopbackAddress(host)) {
    throw new Error(
      `--tcp ${spec}: ${host} is not a loopback address; the TCP listener only binds 127.0.0.0/8 or ::1`,
    );
  }
  return {
    host: host.replace(/^\[(.*)\]$/, "$1"),
    port,
    allowedHosts: list(env.COVEN_TCP_ALLOWED_HOSTS).map((name) => name.toLowerCase()),
    allowedOrigins: list(env.COVEN_TCP_ALLOWED_ORIGINS),
  };
}

function hostName(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return `[${bracketed[1]}]`;
  return hostHeader.replace(/:\d+$/, "").toLowerCase();
}

/**
 * The DNS-rebinding defence of the TCP face: a request whose Host is not a loopback name (or an allowed one),
 * or whose Origin is present and not allowed, is refused with 403 `forbidden` before any route runs.
 */
export function registerTcpGuard(app: FastifyInstance, config: TcpListenerConfig): void {
  app.addHook("onRequest", (request, reply, done) => {
    const host = request.headers.host;
    const name = host ? hostName(host) : "";
    if (!LOOPBACK_NAMES.has(name) && !isLoopbackAddress(name) && !config.allowedHosts.includes(name)) {
      sendError(
        new CovenError("forbidden", "The Host header is not allowed.", { host: host ?? null }),
        request,
        reply,
      );
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !config.allowedOrigins.includes(origin)) {
      sendError(new CovenError("forbidden", "The Origin is not allowed.", { origin }), request, reply);
      return;
    }
    done();
  });
}
