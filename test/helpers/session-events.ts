import type { EventRecord } from "../../contract/events.js";
import type { RestClient } from "./api.js";
import { waitFor } from "./daemon.js";

/** Every event of a session, page after page. */
export async function sessionEvents(api: RestClient, sessionId: string): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await api.get<{ events: EventRecord[]; hasMore: boolean }>(
      `/api/v1/sessions/${sessionId}/events?afterSeq=${afterSeq}`,
    );
    events.push(...page.body.events);
    if (!page.body.hasMore) return events;
    afterSeq = page.body.events.at(-1)!.seq;
  }
}

/** The `data` of a session's `output` (or `input`) events, joined. */
export function outputText(events: readonly EventRecord[], kind: "output" | "input" = "output"): string {
  return events
    .filter((event) => event.kind === kind)
    .map((event) => JSON.parse(event.payload_json).data as string)
    .join("");
}

/**
 * Waits until a session's stored output contains `text` (it may span several output events). A harness has
 * done what it does before printing (installed its handlers, set raw mode) once its line is there.
 */
export async function waitForSessionOutput(api: RestClient, sessionId: string, text: string): Promise<void> {
  await waitFor(
    async () => outputText(await sessionEvents(api, sessionId)).includes(text),
    `output ${JSON.stringify(text)}`,
  );
}
