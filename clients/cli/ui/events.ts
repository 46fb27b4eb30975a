import type { EventRecord } from "../../../contract/events.js";
import type { Palette } from "./format.js";

function payloadOf(event: EventRecord): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(event.payload_json);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
}

/** One line for a lifecycle event (everything but output). */
export function describeEvent(event: EventRecord): string {
  const payload = payloadOf(event);
  switch (event.kind) {
    case "launch":
      return `launch ${String(payload.harness)} (pid ${String(payload.pid)}) in ${String(payload.cwd)}`;
    case "input":
      return `input ${JSON.stringify(payload.data ?? "")}`;
    case "kill":
      return "kill requested";
    case "exit": {
      const code =
        payload.exitCode === null || payload.exitCode === undefined ? "" : ` code ${payload.exitCode}`;
      const signal = payload.signal ? ` signal ${String(payload.signal)}` : "";
      return `exit ${String(payload.status)}${code}${signal}`;
    }
    case "output_truncated":
      return `output dropped under load: ${String(payload.droppedEvents)} chunks, ${String(payload.droppedBytes)} bytes`;
    case "recovery":
      return `recovery ${String(payload.from)} → ${String(payload.to)}: ${String(payload.reason)}`;
    default:
      return `${event.kind} ${event.payload_json}`;
  }
}

/**
 * Prints events for a human: output as the terminal text it is, every other event as one dim line
 * (`── #seq hh:mm:ss what`) that always starts on a line of its own.
 */
export class EventPrinter {
  private atLineStart = true;

  constructor(
    private readonly write: (text: string) => void,
    private readonly colors: Palette,
  ) {}

  print(event: EventRecord): void {
    if (event.kind === "output") {
      const data = String(payloadOf(event).data ?? "");
      if (data.length === 0) return;
      this.write(data);
      this.atLineStart = data.endsWith("\n");
      return;
    }
    const prefix = this.atLineStart ? "" : "\n";
    this.write(
      `${prefix}${this.colors.dim(`── #${event.seq} ${clock(event.created_at)} ${describeEvent(event)}`)}\n`,
    );
    this.atLineStart = true;
  }

  /** Ends the last output line, so the shell prompt does not start in the middle of it. */
  finish(): void {
    if (!this.atLineStart) this.write("\n");
    this.atLineStart = true;
  }
}

/** The exit code a finished session stands for: its own, 128 + signal number, or 0/1 from its status. */
export function exitCodeOf(
  status: string,
  exitCode: number | null | undefined,
  signal?: unknown,
  signals?: Record<string, number>,
): number {
  if (typeof exitCode === "number" && exitCode !== 0) return exitCode;
  if (typeof signal === "string" && signals?.[signal] !== undefined) return 128 + signals[signal]!;
  return status === "completed" ? 0 : 1;
}

export function exitPayload(event: EventRecord): {
  status: string;
  exitCode: number | null;
  signal?: string;
} {
  const payload = payloadOf(event);
  return {
    status: String(payload.status ?? "failed"),
    exitCode: typeof payload.exitCode === "number" ? payload.exitCode : null,
    ...(typeof payload.signal === "string" ? { signal: payload.signal } : {}),
  };
}

export function outputData(event: EventRecord): string {
  return String(payloadOf(event).data ?? "");
}
