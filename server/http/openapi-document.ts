import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { type ZodObject, type ZodType, z } from "zod";
import { API_VERSION } from "../../contract/common.js";
import { ERROR_STATUS, type ErrorCode, ErrorEnvelopeSchema } from "../../contract/errors.js";
import { REST_PREFIX, type RestRoute, restRoutes } from "./rest-adapter.js";

export const OPENAPI_ROUTE = "/openapi.json";
/** Every route can answer these besides its own codes (forbidden: the TCP face's Host/Origin guard). */
const COMMON_ERRORS: ErrorCode[] = ["invalid_request", "forbidden", "payload_too_large", "internal_error"];

function unwrapObject(schema: ZodType | undefined): ZodObject | undefined {
  let current = schema as unknown as { def: { type: string; innerType?: unknown } } | undefined;
  while (current && (current.def.type === "optional" || current.def.type === "default")) {
    current = current.def.innerType as typeof current;
  }
  return current?.def.type === "object" ? (current as unknown as ZodObject) : undefined;
}

function pick(object: ZodObject, keys: string[], keep: boolean): ZodObject | undefined {
  const mask = Object.fromEntries(
    Object.keys(object.shape)
      .filter((key) => keys.includes(key) === keep)
      .map((key) => [key, true as const]),
  );
  if (Object.keys(mask).length === 0) return undefined;
  return object.pick(mask as Record<string, true> & Record<number, never>);
}

function requestOf(route: RestRoute): RouteConfig["request"] {
  const input = unwrapObject(route.inputSchema);
  if (!input) return undefined;
  const pathKeys = [...route.face.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const params = pick(input, pathKeys, true);
  const rest = pick(input, pathKeys, false);
  const request: NonNullable<RouteConfig["request"]> = {};
  // Path parameters are always required, even when the same field is optional on another face.
  if (params) request.params = params.required();
  if (rest && route.face.method === "GET") request.query = rest;
  if (rest && route.face.method !== "GET") {
    // A body-only input keeps its named component; one mixed with path parameters is inlined without them.
    const body = params ? rest : (route.inputSchema as ZodType);
    request.body = {
      required: false,
      content: { "application/json": { schema: unwrapObject(body) ?? body } },
    };
  }
  return request;
}

function responsesOf(route: RestRoute): RouteConfig["responses"] {
  const responses: RouteConfig["responses"] = {};
  const output = route.outputSchema ?? z.unknown();
  for (const status of [route.face.status, ...(route.face.otherStatuses ?? [])]) {
    const content = route.meta.eventStream
      ? {
          "text/event-stream": {
            schema: z.string().meta({ description: "server-sent events; data is JSON" }),
          },
        }
      : { "application/json": { schema: output } };
    responses[status] = { description: route.face.summary, content };
  }
  const codesByStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...COMMON_ERRORS, ...route.meta.errors])) {
    const status = ERROR_STATUS[code];
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...codesByStatus].sort(([a], [b]) => a - b)) {
    // A special body (the legacy action rejection) is one possible answer; schema violations keep the envelope.
    const special = route.meta.errorBodies?.[status];
    const schema = special ? z.union([special, ErrorEnvelopeSchema]) : ErrorEnvelopeSchema;
    responses[status] = {
      description: `error codes: ${codes.join(", ")}`,
      content: { "application/json": { schema } },
    };
  }
  return responses;
}

/** The OpenAPI 3.1 document, generated from the router's REST metadata and the contract's zod schemas. */
export function generateOpenApiDocument(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  for (const route of restRoutes()) {
    registry.registerPath({
      method: route.face.method.toLowerCase() as "get" | "post" | "delete",
      path: route.face.path,
      operationId: route.face.operationId,
      summary: route.face.summary,
      ...(route.face.description ? { description: route.face.description } : {}),
      tags: route.meta.tags,
      request: requestOf(route),
      responses: responsesOf(route),
    });
  }
  registry.registerPath({
    method: "get",
    path: OPENAPI_ROUTE,
    operationId: "getOpenApiDocument",
    summary: "This document",
    tags: ["system"],
    responses: {
      200: {
        description: "The OpenAPI 3.1 document of coven.daemon.v1",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
      500: {
        description: "error codes: internal_error",
        content: { "application/json": { schema: ErrorEnvelopeSchema } },
      },
    },
  });
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Coven daemon",
      version: API_VERSION,
      description:
        "HTTP/1.1 over the Unix socket $COVEN_HOME/coven.sock. Every failure, including unknown routes " +
        "(404 not_found), carries the ErrorEnvelope. Generated from the tRPC router; never edit by hand.",
    },
    servers: [{ url: `http://localhost${REST_PREFIX}` }],
  });
  return document as unknown as Record<string, unknown>;
}

/** The exact bytes committed as openapi/coven.daemon.v1.json and served at /api/v1/openapi.json. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(generateOpenApiDocument(), null, 2)}\n`;
}
