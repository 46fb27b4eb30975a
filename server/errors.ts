import { DEFAULT_ERROR_MESSAGE, ERROR_STATUS, type ErrorCode } from "../contract/errors.js";

/**
 * The one error type the daemon throws on purpose. It carries a contract code; the HTTP status, the REST
 * envelope and the tRPC error shape are all derived from it by the error mapper in `server/http/`.
 */
export class CovenError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Extra top-level fields merged beside `error` in the REST body (the legacy action rejection). */
  readonly extraBody: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    details?: Record<string, unknown>,
    extraBody?: Record<string, unknown>,
  ) {
    super(message ?? DEFAULT_ERROR_MESSAGE[code]);
    this.name = "CovenError";
    this.code = code;
    this.details = details;
    this.extraBody = extraBody;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toEnvelope(): Record<string, unknown> {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { ...this.extraBody, error };
  }
}

/**
 * The one mapper from anything thrown to a CovenError. Schema violations become `invalid_request` with the
 * failing field paths; anything unexpected becomes `internal_error` and its message stays in the log only.
 */
export function toCovenError(error: unknown): CovenError {
  if (error instanceof CovenError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof CovenError) return cause;
  const zodError = findZodError(error);
  if (zodError) {
    const issues = zodError.issues.map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
      code: issue.code,
    }));
    return new CovenError("invalid_request", "The request does not match the schema.", {
      fields: [...new Set(zodError.issues.flatMap(failingPaths))],
      issues,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "PARSE_ERROR") return new CovenError("invalid_request", "The request body is not valid JSON.");
  if (code === "PAYLOAD_TOO_LARGE") return new CovenError("payload_too_large");
  if (code === "NOT_FOUND") return new CovenError("not_found");
  if (code === "METHOD_NOT_SUPPORTED") return new CovenError("not_found", "No such route or method.");
  if (code === "BAD_REQUEST") {
    return new CovenError("invalid_request", error instanceof Error ? error.message : undefined);
  }
  return new CovenError("internal_error");
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code: string;
  /** Set on `unrecognized_keys` issues: the unknown fields, which the issue's own path (their object) omits. */
  keys?: unknown;
}

interface ZodLikeError {
  issues: ZodLikeIssue[];
}

/** The field paths an issue is about: for unknown fields, each of them (`{ "bogus": 1 }` → `bogus`). */
function failingPaths(issue: ZodLikeIssue): string[] {
  const at = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && Array.isArray(issue.keys) && issue.keys.length > 0) {
    return issue.keys.map((key) => [...at, String(key)].join("."));
  }
  return [at.join(".")];
}

function findZodError(error: unknown): ZodLikeError | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    const candidate = current as { name?: unknown; issues?: unknown; cause?: unknown };
    if (candidate.name === "ZodError" && Array.isArray(candidate.issues)) return candidate as ZodLikeError;
    current = candidate.cause;
  }
  return undefined;
}
