import { type AnyTRPCProcedure, callTRPCProcedure, isTrackedEnvelope } from "@trpc/server";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodType } from "zod";
import { CovenError } from "../errors.js";
import { appRouter } from "../router/index.js";
import type { ProcedureMeta, RequestContext, RestFace } from "../router/trpc.js";
import type { DaemonServices } from "../services.js";
import { jsonBody } from "./json-body.js";

export const REST_PREFIX = "/api/v1";

export interface RestRoute {
  procedurePath: string;
  procedure: AnyTRPCProcedure;
  meta: ProcedureMeta;
  face: RestFace;
  inputSchema: ZodType | undefined;
  outputSchema: ZodType | undefined;
}

/** Every REST face of every procedure in the router: the only route table there is. */
export function restRoutes(): RestRoute[] {
  // At run time `_def.procedures` is flat, keyed by dotted path ("sessions.get").
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
  return Object.entries(procedures).flatMap(([procedurePath, procedure]) => {
    const def = procedure._def as unknown as {
      meta?: ProcedureMeta;
      inputs: ZodType[];
      output?: ZodType;
    };
    if (!def.meta) return [];
    const meta = def.meta;
    return meta.rest.map((face) => ({
      procedurePath,
      procedure,
      meta,
      face,
      inputSchema: def.inputs[0],
      outputSchema: def.output,
    }));
  });
}

/** `/sessions/{id}` → `/sessions/:id` for fastify. */
export function fastifyPath(path: string): string {
  return REST_PREFIX + path.replace(/\{(\w+)\}/g, ":$1");
}

/** Unwraps optional/default/nullable wrappers to find what a field really is. */
function baseType(schema: ZodType | undefined): string | undefined {
  let current = schema as unknown as
    | { def?: { type: string; innerType?: unknown; in?: unknown } }
    | undefined;
  for (let depth = 0; current?.def && depth < 8; depth += 1) {
    const { type, innerType } = current.def;
    if (type === "optional" || type === "nullable" || type === "default" || type === "readonly") {
      current = innerType as typeof current;
      continue;
    }
    if (type === "pipe") {
      current = current.def.in as typeof current;
      continue;
    }
    return type;
  }
  return undefined;
}

function objectShape(schema: ZodType | undefined): Record<string, ZodType> {
  let current = schema as unknown as
    | { def?: { type: string; innerType?: unknown; shape?: unknown } }
    | undefined;
  while (current?.def && (current.def.type === "optional" || current.def.type === "default")) {
    current = current.def.innerType as typeof current;
  }
  return (current?.def?.type === "object" ? current.def.shape : {}) as Record<string, ZodType>;
}

/**
 * Query strings carry only text; the input schema says which fields are numbers or booleans, so the adapter
 * converts exactly those (and only well-formed values: anything else reaches zod and fails with its path).
 */
function decodeQuery(
  query: Record<string, unknown>,
  shape: Record<string, ZodType>,
): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    const kind = baseType(shape[key]);
    if (typeof raw === "string" && kind === "number" && /^-?\d+(\.\d+)?$/.test(raw))
      decoded[key] = Number(raw);
    else if (typeof raw === "string" && kind === "boolean" && (raw === "true" || raw === "false"))
      decoded[key] = raw === "true";
    else decoded[key] = raw;
  }
  return decoded;
}

function requestInput(
  route: RestRoute,
  request: FastifyRequest,
  params = (request.params ?? {}) as Record<string, string>,
): unknown {
  let fields: Record<string, unknown>;
  if (route.face.method === "GET") {
    fields = decodeQuery((request.query ?? {}) as Record<string, unknown>, objectShape(route.inputSchema));
    // EventSource clients resume by sending the last id they saw in this header.
    const lastEventId = request.headers["last-event-id"];
    if (route.meta.eventStream && typeof lastEventId === "string") fields.lastEventId = lastEventId;
  } else {
    const body = request.body;
    if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
      throw new CovenError("invalid_request", "The request body must be a JSON object.");
    }
    fields = { ...(body as Record<string, unknown> | undefined) };
  }
  // Path parameters win over body fields of the same name: the URL names the resource.
  Object.assign(fields, params);
  if (!route.inputSchema) {
    // A read without parameters answers whatever query string it is given (a cache-buster, a probe's marker):
    // the contract has `GET /health` answer 200 whenever the daemon serves. A body field is still refused.
    if (route.face.method === "GET") return undefined;
    if (Object.keys(fields).length > 0) {
      throw new CovenError("invalid_request", "This route takes no parameters.", {
        fields: Object.keys(fields),
      });
    }
    return undefined;
  }
  return fields;
}

/**
 * The generic REST adapter: one fastify route per REST face in the procedures' metadata, each calling the
 * procedure through a server-side caller, so input parsing, output validation and errors are the procedure's own.
 */
export function registerRestRoutes(
  app: FastifyInstance,
  services: DaemonServices,
  transport: RequestContext["transport"],
): void {
  const routes = restRoutes();
  for (const route of routes) {
    if (route.meta.eventStream) {
      registerEventStreamRoute(app, route, services, transport);
      continue;
    }
    const handler = procedureHandler(route, services, transport);
    const shadowed = shadowedRoute(route, routes);
    const hidden = shadowed && procedureHandler(shadowed.route, services, transport, shadowed.params);
    app.route({
      method: route.face.method,
      url: fastifyPath(route.face.path),
      handler: hidden
        ? (request: FastifyRequest, reply: FastifyReply) => {
            // Asked without a query, the static path is the parametric route's resource: an id that happens to
            // read `resolve` is still the session the contract's `GET /sessions/{id}` must return.
            const query = (request.query ?? {}) as Record<string, unknown>;
            return Object.keys(query).length > 0 ? handler(request, reply) : hidden(request, reply);
          }
        : handler,
    });
  }
}

/**
 * A static path such as `/sessions/resolve` wins over a parametric one of the same method and shape
 * (`/sessions/{id}`) in the router, which would hide the resource that parameter value names. Returns that
 * parametric route and the parameters the static path gives it, when there is one.
 */
function shadowedRoute(
  route: RestRoute,
  routes: RestRoute[],
): { route: RestRoute; params: Record<string, string> } | undefined {
  const segments = route.face.path.split("/");
  if (segments.some((segment) => segment.startsWith("{"))) return undefined;
  for (const other of routes) {
    if (other === route || other.face.method !== route.face.method || other.meta.eventStream) continue;
    const pattern = other.face.path.split("/");
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name === undefined) return part === segments[index];
      params[name] = segments[index] as string;
      return true;
    });
    if (matches && Object.keys(params).length > 0) return { route: other, params };
  }
  return undefined;
}

/** Calls the route's procedure with the request's input and answers with the face's status. */
function procedureHandler(
  route: RestRoute,
  services: DaemonServices,
  transport: RequestContext["transport"],
  params?: Record<string, string>,
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    let status = route.face.status;
    const ctx: RequestContext = {
      services,
      transport,
      setStatus: (next) => {
        if (next === route.face.status || route.face.otherStatuses?.includes(next)) status = next;
      },
    };
    const input = requestInput(route, request, params);
    // The same call tRPC's own handler makes: middleware, input parsing and output validation included.
    const result = await callTRPCProcedure({
      router: appRouter,
      path: route.procedurePath,
      type: route.procedure._def.type,
      ctx,
      getRawInput: async () => input,
      signal: undefined,
      batchIndex: 0,
    });
    reply.code(status).type("application/json; charset=utf-8").send(jsonBody(result));
  };
}

/**
 * A subscription's REST face: server-sent events. Errors raised before the first event (unknown session, bad
 * cursor) are answered as the JSON envelope; after that, each tracked value becomes one message whose `id` is
 * its cursor, and the stream closes with an `end` event.
 */
function registerEventStreamRoute(
  app: FastifyInstance,
  route: RestRoute,
  services: DaemonServices,
  transport: RequestContext["transport"],
): void {
  app.get(fastifyPath(route.face.path), async (request, reply) => {
    const abort = new AbortController();
    request.raw.once("close", () => abort.abort());
    const ctx: RequestContext = { services, transport, setStatus: () => {} };
    const input = requestInput(route, request);
    const source = (await callTRPCProcedure({
      router: appRouter,
      path: route.procedurePath,
      type: "subscription",
      ctx,
      getRawInput: async () => input,
      signal: abort.signal,
      batchIndex: 0,
    })) as AsyncIterable<unknown>;
    reply.sse(
      (async function* () {
        for await (const value of source) {
          if (isTrackedEnvelope(value)) yield { id: value[0], data: JSON.stringify(value[1]) };
          else yield { data: JSON.stringify(value) };
        }
        yield { event: "end", data: "{}" };
      })(),
    );
    return reply;
  });
}
