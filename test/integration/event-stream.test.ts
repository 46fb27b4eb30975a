import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CovenTrpcClient, createSocketTrpcClient } from "../../clients/core/trpc-client.js";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";
import { readSse } from "../helpers/sse.js";

interface EventRecord {
  seq: number;
  id: string;
  session_id: string;
  kind: string;
  payload_json: string;
}

let daemon: TestDaemon;
let api: RestClient;
let kit: FakeHarnessKit;
let trpc: CovenTrpcClient;

beforeAll(async () => {
  kit = fakeHarnessKit();
  daemon = await startDaemon({ env: kit.env });
  api = new RestClient(daemon.socket);
  trpc = createSocketTrpcClient(daemon.socket);
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

async function ledgerEvents(sessionId: string): Promise<EventRecord[]> {
  return (await api.get<{ events: EventRecord[] }>(`/api/v1/sessions/${sessionId}/events`)).body.events;
}

describe("the live event stream", () => {
  it("gives a client subscribed before launch every event of the session, in order, as they commit", async () => {
    const received: EventRecord[] = [];
    let sessionId: string | undefined;
    let resolveStarted: () => void;
    const started = new Promise<void>((resolve) => {
      resolveStarted = resolve;
    });
    let resolveDone: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    // The whole-ledger stream: the session does not exist yet when the client subscribes.
    const subscription = trpc.events.stream.subscribe(
      {},
      {
        onStarted: () => resolveStarted(),
        onData: (envelope) => {
          const event = envelope.data as EventRecord;
          received.push(event);
          if (event.kind === "exit" && event.session_id === sessionId) resolveDone();
        },
      },
    );
    await started;
    const launched = await api.post<{ id: string }>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt: "",
    });
    const id = launched.body.id;
    sessionId = id;
    const ours = () => received.filter((event) => event.session_id === id);
    // Pushed as they commit: the launch and the first output arrive while the harness still runs.
    await waitFor(() => ours().some((event) => event.kind === "output"), "the first output, live");
    expect((await api.get<{ status: string }>(`/api/v1/sessions/${id}`)).body.status).toBe("running");
    expect(ours().map((event) => event.kind)).not.toContain("exit");
    await api.post(`/api/v1/sessions/${id}/input`, { data: "exit 0\r" });
    await done;
    subscription.unsubscribe();
    expect(ours()).toEqual(await ledgerEvents(id));
    expect(ours()[0]?.kind).toBe("launch");
  });

  it("over REST: replays, follows, ends after exit; a reconnect with the last seq gets exactly the rest", async () => {
    const launched = await api.post<{ id: string }>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt: "",
    });
    const id = launched.body.id;
    // First connection: close it after the first output event.
    const partial = await readSse(
      daemon.socket,
      `/api/v1/sessions/${id}/events/stream?afterSeq=0`,
      (message) => {
        const event = JSON.parse(message.data) as EventRecord;
        return event.kind !== "output";
      },
    );
    const seen = partial.messages.map((message) => JSON.parse(message.data) as EventRecord);
    expect(seen.map((event) => event.kind)).toEqual(["launch", "output"]);
    expect(partial.messages.map((message) => Number(message.id))).toEqual(seen.map((event) => event.seq));

    // While disconnected the session goes on.
    await api.post(`/api/v1/sessions/${id}/input`, { data: "more\r" });
    await api.post(`/api/v1/sessions/${id}/input`, { data: "exit 0\r" });

    const rest = await readSse(daemon.socket, `/api/v1/sessions/${id}/events/stream`, undefined, {
      "last-event-id": String(seen.at(-1)!.seq),
    });
    expect(rest.messages.at(-1)?.event).toBe("end");
    const resumed = rest.messages.filter((message) => message.event !== "end").map((m) => JSON.parse(m.data));
    const ledger = await ledgerEvents(id);
    expect([...seen, ...resumed]).toEqual(ledger);
    expect(ledger.at(-1)?.kind).toBe("exit");
  });

  it("answers an unknown session with the JSON envelope, not a stream", async () => {
    const result = await readSse(daemon.socket, "/api/v1/sessions/nope/events/stream");
    expect(result.status).toBe(404);
    expect(result.body).toMatchObject({ error: { code: "session_not_found" } });
  });
});
