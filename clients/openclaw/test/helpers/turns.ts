import { randomUUID } from "node:crypto";
import type { AcpRuntimeEvent, AcpRuntimeTurn } from "openclaw/plugin-sdk/acp-runtime";
import type { CovenAcpRuntime } from "../../src/runtime.js";

export interface CollectedTurn {
  events: AcpRuntimeEvent[];
  text: string;
  result: Awaited<AcpRuntimeTurn["result"]>;
}

/** Reads a turn's events to the end, then its result. */
export async function collect(
  turn: AcpRuntimeTurn,
  onEvent?: (event: AcpRuntimeEvent) => void,
): Promise<CollectedTurn> {
  const events: AcpRuntimeEvent[] = [];
  for await (const event of turn.events) {
    events.push(event);
    onEvent?.(event);
  }
  const result = await turn.result;
  const text = events.map((event) => (event.type === "text_delta" ? event.text : "")).join("");
  return { events, text, result };
}

export async function ensure(
  runtime: CovenAcpRuntime,
  agent: string,
  cwd: string,
  sessionKey = `agent:main:acp:${randomUUID()}`,
) {
  return runtime.ensureSession({ sessionKey, agentId: "main", agent, mode: "oneshot", cwd });
}

export function turnInput(handle: Awaited<ReturnType<typeof ensure>>, text: string, signal?: AbortSignal) {
  return { handle, text, mode: "prompt" as const, requestId: randomUUID(), ...(signal ? { signal } : {}) };
}
