import { Agent, request } from "undici";

/** The parts of `GET /api/v1/health` that the lifecycle commands rely on. */
export interface HealthAnswer {
  apiVersion: string;
  covenVersion: string;
  pid: number;
  startedAt: string;
  socket: string;
}

function parseHealth(body: unknown): HealthAnswer | null {
  if (typeof body !== "object" || body === null) return null;
  const { ok, apiVersion, covenVersion, daemon } = body as Record<string, unknown>;
  if (ok !== true || typeof apiVersion !== "string" || typeof daemon !== "object" || daemon === null)
    return null;
  const { pid, startedAt, socket } = daemon as Record<string, unknown>;
  if (typeof pid !== "number" || typeof startedAt !== "string" || typeof socket !== "string") return null;
  return {
    apiVersion,
    covenVersion: typeof covenVersion === "string" ? covenVersion : "unknown",
    pid,
    startedAt,
    socket,
  };
}

/**
 * Asks the daemon on `socketPath` for its health. `null` when nothing answers (no socket, a stale socket
 * file, a hung daemon) or the answer is not a healthy Coven handshake: "is a daemon running" is decided by
 * talking to it, never by the presence of files.
 */
export async function probeHealth(socketPath: string, timeoutMs = 1_000): Promise<HealthAnswer | null> {
  const agent = new Agent({ connect: { socketPath, timeout: timeoutMs } });
  try {
    const response = await request("http://localhost/api/v1/health", {
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return null;
    }
    return parseHealth(await response.body.json());
  } catch {
    return null;
  } finally {
    await agent.destroy();
  }
}
