import { fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { FastifySSEPlugin } from "fastify-sse-v2";
import pino from "pino";
import { CovenError, toCovenError } from "../errors.js";
import { appRouter } from "../router/index.js";
import type { RequestContext } from "../router/trpc.js";
import type { DaemonServices } from "../services.js";
import { MAX_BODY_BYTES, replyToClientError, sendError } from "./error-reply.js";
import { registerOpenApiRoute } from "./openapi-route.js";
import { registerRestRoutes } from "./rest-adapter.js";
import { registerTcpGuard, type TcpListenerConfig } from "./tcp-guard.js";

export interface HttpAppOptions {
  services: DaemonServices;
  transport: RequestContext["transport"];
  logger?: FastifyBaseLogger;
  /** For the TCP face: the Host/Origin guard's configuration. */
  tcp?: TcpListenerConfig;
}

/** Accepts an empty body as "no body" (a bare POST to /kill) and refuses anything that is not JSON. */
function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new CovenError("invalid_request", "The request body is not valid JSON."), undefined);
    }
  });
}

/** The contract codes and procedure names of a tRPC request's failures, for its log line (keyed by request). */
const trpcFailures = new WeakMap<object, { code: string; procedures: string }>();

function joinDistinct(list: string, item: string): string {
  if (list === "") return item;
  return list.split(",").includes(item) ? list : `${list},${item}`;
}

/** The daemon's HTTP face: /api/v1 (REST, derived from the router), /trpc, and the OpenAPI document. */
export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger ?? pino({ level: "silent" }),
    bodyLimit: MAX_BODY_BYTES,
    // One line per request is written by the onResponse hook below, with the contract's error code.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: the request line below carries method and route itself, and a child logger
    // per request is measurable on the health round-trip.
    childLoggerFactory: (logger) => logger,
    // Requests from tRPC batch links put several procedure names in one path segment.
    routerOptions: { maxParamLength: 4096 },
    // The router's refusals (a malformed percent-escape, an over-long segment) get the envelope like any failure,
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    // and so do requests Node's HTTP parser refuses before fastify sees them (headers over its size limit).
    clientErrorHandler: replyToClientError,
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  if (options.tcp) registerTcpGuard(app, options.tcp);
  const readsLogged = app.log.level === "debug" || app.log.level === "trace";
  app.addHook("onResponse", (request, reply, done) => {
    // Reads that succeed are debug lines: clients poll health and pages all day, and a line per poll would
    // bury what matters (and costs about a fifth of a health round-trip). Changes and refusals stay at info.
    const routine = reply.statusCode < 400 && (request.method === "GET" || request.method === "HEAD");
    if (routine && !readsLogged) {
      done();
      return;
    }
    request.log[routine ? "debug" : "info"](
      {
        method: request.method,
        route: request.routeOptions.url ?? "(unmatched)",
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(reply.statusCode >= 400 ? { code: reply.getHeader("x-coven-error-code") } : {}),
        // tRPC answers its own errors (one per procedure of a batch): they are noted in its onError below.
        ...trpcFailures.get(request),
      },
      "request",
    );
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new CovenError("not_found", `No route ${request.method} ${request.url.split("?")[0]}.`),
      request,
      reply,
    ),
  );

  await app.register(async (rest) => {
    await rest.register(FastifySSEPlugin, { retryDelay: false });
    registerJsonParser(rest);
    registerRestRoutes(rest, options.services, options.transport);
    registerOpenApiRoute(rest);
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: (): RequestContext => ({
        services: options.services,
        transport: options.transport,
        setStatus: () => {},
      }),
      onError: ({ error, path, req }: { error: unknown; path?: string; req: object }) => {
        const failures = trpcFailures.get(req) ?? { code: "", procedures: "" };
        failures.code = joinDistinct(failures.code, toCovenError(error).code);
        failures.procedures = joinDistinct(failures.procedures, path ?? "(unknown)");
        trpcFailures.set(req, failures);
      },
    },
  });
  return app;
}
