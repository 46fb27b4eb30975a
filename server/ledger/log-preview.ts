import type { LogLine } from "../../contract/sessions.js";
import type { Redactor } from "../privacy/redactor.js";
import { stripTerminalControls } from "../privacy/terminal-text.js";
import type { EventRow } from "./records.js";

/** How many recent events a preview reads; the preview is a glance, the event log is the record. */
export const LOG_PREVIEW_EVENTS = 500;
const MAX_PREVIEW_LINES = 200;

function describe(
  kind: string,
  payload: Record<string, unknown>,
): { level: LogLine["level"]; message: string } {
  switch (kind) {
    case "launch":
      return { level: "info", message: `launched ${payload.harness} (pid ${payload.pid}) in ${payload.cwd}` };
    case "input":
      return { level: "info", message: `input: ${String(payload.data ?? "")}` };
    case "kill":
      return { level: "warn", message: "kill requested" };
    case "exit": {
      const signal = payload.signal ? `, signal ${payload.signal}` : "";
      const level = payload.status === "completed" ? "info" : "error";
      return { level, message: `exited ${payload.status} (code ${payload.exitCode ?? "none"}${signal})` };
    }
    case "output_truncated":
      return {
        level: "warn",
        message: `output truncated: ${payload.droppedEvents} chunks, ${payload.droppedBytes} bytes dropped`,
      };
    case "recovery":
      return { level: "warn", message: `recovered ${payload.from} → ${payload.to}: ${payload.reason}` };
    default:
      return { level: "info", message: kind };
  }
}

/**
 * Builds the human log preview of a session: output split into lines, terminal controls stripped, every line
 * redacted again (defence in depth: payloads were redacted before they were stored).
 */
export function buildLogPreview(events: EventRow[], redactor: Redactor): LogLine[] {
  const lines: LogLine[] = [];
  let partial: { ts: string; text: string } | undefined;
  const push = (ts: string, level: LogLine["level"], text: string) => {
    const message = redactor.redact(stripTerminalControls(text)).trimEnd();
    if (message.length > 0) lines.push({ ts, level, message });
  };
  for (const event of events) {
    const payload = JSON.parse(event.payload_json) as Record<string, unknown>;
    if (event.kind === "output") {
      const text = (partial?.text ?? "") + String(payload.data ?? "");
      const pieces = text.split("\n");
      partial = { ts: partial?.ts ?? event.created_at, text: pieces.pop() ?? "" };
      for (const piece of pieces) push(partial.ts, "info", piece);
      if (pieces.length > 0) partial.ts = event.created_at;
      continue;
    }
    if (partial) push(partial.ts, "info", partial.text);
    partial = undefined;
    const { level, message } = describe(event.kind, payload);
    push(event.created_at, level, message);
  }
  if (partial) push(partial.ts, "info", partial.text);
  return lines.slice(-MAX_PREVIEW_LINES);
}
