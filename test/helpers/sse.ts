import { Agent, request } from "undici";

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads a server-sent-events response from the daemon's socket and hands each message to `onMessage`
 * (returning false closes the stream). Resolves with every message received when the stream ends or closes.
 */
export async function readSse(
  socketPath: string,
  path: string,
  onMessage: (message: SseMessage) => boolean | undefined = () => true,
  headers: Record<string, string> = {},
): Promise<{ status: number; messages: SseMessage[]; body?: unknown }> {
  const agent = new Agent({ connect: { socketPath } });
  const abort = new AbortController();
  const response = await request(`http://localhost${path}`, {
    dispatcher: agent,
    headers,
    signal: abort.signal,
  });
  if (!String(response.headers["content-type"]).startsWith("text/event-stream")) {
    const body = await response.body.json();
    await agent.close();
    return { status: response.statusCode, messages: [], body };
  }
  const messages: SseMessage[] = [];
  let buffer = "";
  let current: SseMessage = { data: "" };
  try {
    for await (const chunk of response.body) {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (current.data !== "" || current.event) {
            messages.push(current);
            if (onMessage(current) === false) {
              abort.abort();
              return { status: response.statusCode, messages };
            }
          }
          current = { data: "" };
          continue;
        }
        const colon = line.indexOf(":");
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") current.data += current.data ? `\n${value}` : value;
        else if (field === "id") current.id = value;
        else if (field === "event") current.event = value;
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    agent.destroy().catch(() => {});
  }
  return { status: response.statusCode, messages };
}
