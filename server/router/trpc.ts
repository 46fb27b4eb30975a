import { initTRPC, TRPCError } from "@trpc/server";
import type { ZodType } from "zod";
import type { ErrorCode } from "../../contract/errors.js";
import { CovenError, toCovenError } from "../errors.js";
import type { DaemonServices } from "../services.js";

/** The REST face of a procedure: one procedure may answer on several paths (an alias keeps its own id). */
export interface RestFace {
  method: "GET" | "POST" | "DELETE";
  /** Path under /api/v1 with `{name}` for input fields taken from the path. */
  path: string;
  /** Success status; a procedure may choose one of `otherStatuses` per call through `ctx.setStatus`. */
  status: number;
  otherStatuses?: number[];
  operationId: string;
  summary: string;
  /** What a client must know beyond the summary (the OpenAPI operation's description). */
  description?: string;
}

export interface ProcedureMeta {
  rest: RestFace[];
  tags: string[];
  /** Contract error codes this procedure can answer with (beyond the ones every route can). */
  errors: ErrorCode[];
  /** A body other than the plain envelope for an error status (the legacy action rejection). */
  errorBodies?: Partial<Record<number, ZodType>>;
  /** Served as server-sent events over REST (subscriptions only). */
  eventStream?: boolean;
  /** Refused with 403 `forbidden` over the loopback TCP listener (every mutation is, too). */
  ownerOnly?: boolean;
}

export interface RequestContext {
  services: DaemonServices;
  transport: "unix" | "tcp";
  /** Lets a procedure pick one of its declared success statuses (201 new vs 200 existing). */
  setStatus(status: number): void;
}

const TRPC_CODE_BY_STATUS = {
  400: "BAD_REQUEST",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  422: "UNPROCESSABLE_CONTENT",
  500: "INTERNAL_SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
} as const satisfies Record<number, TRPCError["code"]>;

function trpcCodeFor(status: number): TRPCError["code"] {
  return TRPC_CODE_BY_STATUS[status as keyof typeof TRPC_CODE_BY_STATUS] ?? "INTERNAL_SERVER_ERROR";
}

const t = initTRPC
  .context<RequestContext>()
  .meta<ProcedureMeta>()
  .create({
    // tRPC clients receive the same contract code and details as REST clients, under `data`.
    errorFormatter({ shape, error }) {
      const coven = toCovenError(error);
      return {
        ...shape,
        message: coven.message,
        data: {
          code: trpcCodeFor(coven.status),
          httpStatus: coven.status,
          path: shape.data.path,
          covenCode: coven.code,
          details: coven.details ?? null,
          body: coven.toEnvelope(),
        },
      };
    },
  });

export const router = t.router;

/**
 * Every procedure throws CovenErrors; this middleware re-throws them as TRPCErrors whose code carries the same
 * HTTP status, so /trpc answers with the contract's status too.
 */
export const procedure = t.procedure.use(async ({ ctx, meta, type, next }) => {
  // Over TCP (loopback, but reachable by every local user) only reads are served: anything that changes state
  // or drives a harness belongs to the owner of the socket.
  if (ctx.transport !== "unix" && (type === "mutation" || meta?.ownerOnly)) {
    const coven = new CovenError("forbidden", "This operation is only available over the Unix socket.");
    throw new TRPCError({ code: "FORBIDDEN", message: coven.message, cause: coven });
  }
  const result = await next();
  if (!result.ok) {
    const coven = toCovenError(result.error);
    throw new TRPCError({ code: trpcCodeFor(coven.status), message: coven.message, cause: coven });
  }
  return result;
});
