import type { AcpRuntimeEvent, AcpRuntimeTurnResult } from "openclaw/plugin-sdk/acp-runtime";
import type { EventRecord } from "../../core/index.js";
import { TerminalTextStream } from "./text.js";

/** What the session's `exit` event said. */
export interface ExitInfo {
  /** The daemon's terminal status: `completed`, `failed`, `killed` (or `orphaned` after recovery). */
  status: string;
  exitCode: number | null;
  signal: string | undefined;
}

export interface MappedEvent {
  events: AcpRuntimeEvent[];
  /** Set for the session's `exit` event: the turn is over. */
  exit?: ExitInfo;
}

export interface EventMapperOptions {
  /** An event whose payload is larger than this is not parsed (it is reported and skipped). */
  maxEventBytes: number;
  /** Text deltas stop after this many bytes of chat text in one turn (one status event says so). */
  maxTurnOutputBytes: number;
}

const STATUS_TAG = "session_info_update" as const;

function status(text: string): AcpRuntimeEvent {
  return { type: "status", text, tag: STATUS_TAG };
}

function parsePayload(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const asInteger = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) ? value : undefined;

/** Short, single-line, control-free text for status lines built from daemon-supplied fields. */
function label(value: unknown, max = 120): string {
  const text = typeof value === "string" || typeof value === "number" ? String(value) : "";
  const clean = text.replace(/[\p{Cc}\p{Cf}]/gu, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * Maps one session's Coven events, in `seq` order, to ACP runtime events: `output` → `text_delta` (terminal and
 * bidi controls stripped, escape sequences split across chunks reassembled), lifecycle → `status`, and `exit`
 * → the end of the turn. One mapper per turn: it carries the partial escape sequence and the output budget.
 */
export class CovenEventMapper {
  private readonly text = new TerminalTextStream();
  private outputBytes = 0;
  private outputCapped = false;

  constructor(private readonly options: EventMapperOptions) {}

  map(record: EventRecord): MappedEvent {
    const bytes = Buffer.byteLength(record.payload_json, "utf8");
    if (bytes > this.options.maxEventBytes) {
      return {
        events: [
          status(
            `coven: skipped a ${label(record.kind)} event of ${bytes} bytes (limit ${this.options.maxEventBytes})`,
          ),
        ],
      };
    }
    const payload = parsePayload(record.payload_json) ?? {};
    switch (record.kind) {
      case "output":
        return { events: this.output(asString(payload.data) ?? "") };
      case "launch": {
        const pid = asInteger(payload.pid);
        return {
          events: [
            status(`coven: ${label(payload.harness)} started${pid !== undefined ? ` (pid ${pid})` : ""}`),
          ],
        };
      }
      case "output_truncated":
        return {
          events: [
            status(
              `coven: the daemon dropped ${asInteger(payload.droppedEvents) ?? "some"} output chunks ` +
                `(${asInteger(payload.droppedBytes) ?? "?"} bytes) under load`,
            ),
          ],
        };
      case "kill":
        return { events: [status("coven: session killed")] };
      case "recovery":
        return {
          events: [
            status(`coven: session ${label(payload.from)} → ${label(payload.to)} (${label(payload.reason)})`),
          ],
        };
      case "exit": {
        const exit: ExitInfo = {
          status: asString(payload.status) ?? "failed",
          exitCode: asInteger(payload.exitCode) ?? null,
          signal: asString(payload.signal),
        };
        const events = this.flush();
        events.push(status(`coven: ${describeExit(exit)}`));
        return { events, exit };
      }
      default:
        // `input` echoes what we sent; unknown kinds are additive extensions this client does not need.
        return { events: [] };
    }
  }

  /** Text still held back (an unfinished escape sequence), for a stream that ended without `exit`. */
  flush(): AcpRuntimeEvent[] {
    return this.delta(this.text.flush());
  }

  private output(data: string): AcpRuntimeEvent[] {
    return this.delta(this.text.push(data));
  }

  private delta(text: string): AcpRuntimeEvent[] {
    if (text.length === 0 || this.outputCapped) return [];
    const bytes = Buffer.byteLength(text, "utf8");
    if (this.outputBytes + bytes > this.options.maxTurnOutputBytes) {
      this.outputCapped = true;
      return [
        status(
          `coven: output beyond ${this.options.maxTurnOutputBytes} bytes is not shown (the ledger keeps it)`,
        ),
      ];
    }
    this.outputBytes += bytes;
    return [{ type: "text_delta", text, stream: "output", tag: "agent_message_chunk" }];
  }
}

export function describeExit(exit: ExitInfo): string {
  const parts: string[] = [];
  if (exit.exitCode !== null) parts.push(`exit code ${exit.exitCode}`);
  if (exit.signal !== undefined) parts.push(`signal ${label(exit.signal, 32)}`);
  return `session ${label(exit.status, 32)}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`;
}

/** The detail code of a failed turn that carries the harness's exit code: `exit_code:<n>`. */
export function exitDetailCode(exit: ExitInfo): string {
  if (exit.exitCode !== null) return `exit_code:${exit.exitCode}`;
  if (exit.signal !== undefined) return `signal:${label(exit.signal, 32)}`;
  return `status:${label(exit.status, 32)}`;
}

/**
 * The turn's terminal result from the session's `exit`: `completed` only for a clean exit (status completed,
 * exit code 0); a session we killed because the turn was cancelled is `cancelled`; anything else is a failure
 * whose message and detail code carry the exit code.
 */
export function turnResultFromExit(
  exit: ExitInfo,
  options: { cancelRequested: boolean },
): AcpRuntimeTurnResult {
  if (exit.status === "completed" && (exit.exitCode === 0 || exit.exitCode === null)) {
    return { status: "completed", stopReason: "end_turn" };
  }
  if (exit.status === "killed" && options.cancelRequested) {
    return { status: "cancelled", stopReason: "cancelled" };
  }
  const message =
    exit.status === "killed"
      ? `The Coven session was killed outside this turn (${describeExit(exit)}).`
      : exit.exitCode !== null
        ? `The harness exited with exit code ${exit.exitCode}.`
        : `The Coven session ended: ${describeExit(exit)}.`;
  return {
    status: "failed",
    error: { message, code: "ACP_TURN_FAILED", detailCode: exitDetailCode(exit), retryable: false },
  };
}
