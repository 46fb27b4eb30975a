import { describe, expect, it } from "vitest";
import type { EventRecord } from "../../../core/index.js";
import { CovenEventMapper, turnResultFromExit } from "../../src/mapping.js";

let seq = 0;
function event(kind: string, payload: unknown): EventRecord {
  seq += 1;
  return {
    seq,
    id: `e${seq}`,
    session_id: "s1",
    kind,
    payload_json: typeof payload === "string" ? payload : JSON.stringify(payload),
    created_at: new Date().toISOString(),
  };
}

const mapper = (options: Partial<{ maxEventBytes: number; maxTurnOutputBytes: number }> = {}) =>
  new CovenEventMapper({ maxEventBytes: 64 * 1024, maxTurnOutputBytes: 1024 * 1024, ...options });

describe("CovenEventMapper", () => {
  it("maps output to text deltas with terminal and bidi controls stripped", () => {
    const m = mapper();
    expect(m.map(event("output", { data: "\x1b[32mok\x1b[0m \u202eevil\u202c\r\n" })).events).toEqual([
      { type: "text_delta", text: "ok evil\n", stream: "output", tag: "agent_message_chunk" },
    ]);
  });

  it("reassembles an escape sequence split across two output events and keeps order", () => {
    const m = mapper();
    const texts = [
      ...m.map(event("output", { data: "one \x1b[3" })).events,
      ...m.map(event("output", { data: "1mtwo\x1b[0m three" })).events,
    ].map((e) => (e.type === "text_delta" ? e.text : ""));
    expect(texts).toEqual(["one ", "two three"]);
  });

  it("yields nothing for output that is only control sequences, or for input echoes", () => {
    const m = mapper();
    expect(m.map(event("output", { data: "\x1b[2J\x1b[H" })).events).toEqual([]);
    expect(m.map(event("input", { data: "hello\n" })).events).toEqual([]);
    expect(m.map(event("some_future_kind", { x: 1 })).events).toEqual([]);
  });

  it("maps lifecycle events to status lines", () => {
    const m = mapper();
    const texts = [
      event("launch", { harness: "codex", cwd: "/repo", pid: 42 }),
      event("output_truncated", { droppedEvents: 3, droppedBytes: 900 }),
      event("kill", { status: "killed" }),
      event("recovery", { from: "running", to: "orphaned", reason: "daemon restart" }),
    ].map((record) => m.map(record).events[0]);
    expect(texts).toEqual([
      { type: "status", text: "coven: codex started (pid 42)", tag: "session_info_update" },
      {
        type: "status",
        text: "coven: the daemon dropped 3 output chunks (900 bytes) under load",
        tag: "session_info_update",
      },
      { type: "status", text: "coven: session killed", tag: "session_info_update" },
      {
        type: "status",
        text: "coven: session running → orphaned (daemon restart)",
        tag: "session_info_update",
      },
    ]);
  });

  it("keeps daemon-supplied fields in status lines short and control-free", () => {
    const m = mapper();
    const [status] = m.map(event("launch", { harness: `x\x1b[31m\u202e${"y".repeat(500)}`, pid: 1 })).events;
    expect(status?.type).toBe("status");
    const text = status?.type === "status" ? status.text : "";
    expect(text).not.toMatch(/[\x1b\u202e]/);
    expect(text.length).toBeLessThan(160);
  });

  it("ends the turn on exit; a dangling half escape sequence never reaches the chat", () => {
    const m = mapper();
    expect(m.map(event("output", { data: "tail\x1b[" })).events).toEqual([
      expect.objectContaining({ type: "text_delta", text: "tail" }),
    ]);
    const mapped = m.map(event("exit", { status: "failed", exitCode: 7 }));
    expect(mapped.exit).toEqual({ status: "failed", exitCode: 7, signal: undefined });
    expect(mapped.events).toEqual([
      expect.objectContaining({ type: "status", text: "coven: session failed (exit code 7)" }),
    ]);
  });

  it("does not parse an event payload above the limit, and survives malformed payloads", () => {
    const m = mapper({ maxEventBytes: 1024 });
    const big = m.map(event("output", { data: "x".repeat(5000) }));
    expect(big.events).toHaveLength(1);
    expect(big.events[0]).toMatchObject({ type: "status" });
    expect(m.map(event("output", "{not json")).events).toEqual([]);
    expect(m.map(event("exit", "[]")).exit).toEqual({ status: "failed", exitCode: null, signal: undefined });
  });

  it("stops text deltas at the per-turn output budget, saying so once", () => {
    const m = mapper({ maxTurnOutputBytes: 1024 });
    const first = m.map(event("output", { data: "a".repeat(1000) })).events;
    const second = m.map(event("output", { data: "b".repeat(100) })).events;
    const third = m.map(event("output", { data: "c" })).events;
    expect(first[0]).toMatchObject({ type: "text_delta" });
    expect(second).toEqual([expect.objectContaining({ type: "status" })]);
    expect(third).toEqual([]);
  });
});

describe("turnResultFromExit", () => {
  it("is completed only for a clean exit", () => {
    expect(
      turnResultFromExit({ status: "completed", exitCode: 0, signal: undefined }, { cancelRequested: false }),
    ).toEqual({
      status: "completed",
      stopReason: "end_turn",
    });
  });

  it("is a failure carrying the exit code otherwise", () => {
    const result = turnResultFromExit(
      { status: "failed", exitCode: 7, signal: undefined },
      { cancelRequested: false },
    );
    expect(result).toEqual({
      status: "failed",
      error: {
        message: "The harness exited with exit code 7.",
        code: "ACP_TURN_FAILED",
        detailCode: "exit_code:7",
        retryable: false,
      },
    });
    const signalled = turnResultFromExit(
      { status: "failed", exitCode: null, signal: "SIGSEGV" },
      { cancelRequested: false },
    );
    expect(signalled).toMatchObject({ status: "failed", error: { detailCode: "signal:SIGSEGV" } });
  });

  it("is cancelled for a session killed because the turn was cancelled, a failure when killed by someone else", () => {
    const killed = { status: "killed", exitCode: null, signal: "SIGTERM" };
    expect(turnResultFromExit(killed, { cancelRequested: true })).toEqual({
      status: "cancelled",
      stopReason: "cancelled",
    });
    expect(turnResultFromExit(killed, { cancelRequested: false })).toMatchObject({
      status: "failed",
      error: { code: "ACP_TURN_FAILED", detailCode: "signal:SIGTERM" },
    });
  });
});
