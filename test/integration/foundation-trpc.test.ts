import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CovenTrpcClient, createSocketTrpcClient } from "../../clients/core/trpc-client.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";

let daemon: TestDaemon;
let client: CovenTrpcClient;

beforeAll(async () => {
  daemon = await startDaemon();
  client = createSocketTrpcClient(daemon.socket);
});

afterAll(async () => {
  await daemon.stop();
});

async function contractError(
  promise: Promise<unknown>,
): Promise<{ covenCode: string; details: any; status: number }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { covenCode: string; details: unknown; httpStatus: number };
    return { covenCode: data.covenCode, details: data.details, status: data.httpStatus };
  }
  throw new Error("expected a contract error");
}

describe("the typed tRPC client over the socket", () => {
  it("performs the handshake", async () => {
    const health = await client.health.query();
    expect(health.apiVersion).toBe("coven.daemon.v1");
    expect(health.daemon.pid).toBe(daemon.process.pid);
    expect(await client.apiVersion.query()).toEqual({ apiVersion: "v1", supportedApiVersions: ["v1"] });
  });

  it("registers, lists, completes and pages events like the REST face", async () => {
    const created = await client.sessions.registerExternal.mutate({
      id: "trpc-1",
      projectRoot: "/tmp/p",
      harness: "claude",
    });
    expect(created).toMatchObject({ id: "trpc-1", external: true, status: "running" });
    expect(await client.sessions.list.query()).toEqual([created]);
    const page = await client.sessions.list.query({ limit: 1 });
    expect(page).toEqual({ sessions: [created], next_cursor: null });
    const done = await client.sessions.complete.mutate({ id: "trpc-1", exitCode: 0 });
    expect(done.status).toBe("completed");
    const events = await client.events.list.query({ sessionId: "trpc-1" });
    expect(events.events.map((event) => event.kind)).toEqual(["exit"]);
    const catalog = await client.capabilities.list.query();
    expect(catalog.capabilities.length).toBeGreaterThan(3);
  });

  it("carries the contract code and details in the error data", async () => {
    const missing = await contractError(client.sessions.get.query({ id: "nope" }));
    expect(missing).toEqual({ covenCode: "session_not_found", details: { sessionId: "nope" }, status: 404 });
    const invalid = await contractError(client.sessions.list.query({ limit: 0 }));
    expect(invalid.covenCode).toBe("invalid_request");
    expect(invalid.details.fields).toEqual(["limit"]);
    const action = await contractError(client.actions.run.mutate({ action: "nope" }));
    expect(action).toMatchObject({ covenCode: "invalid_request", details: { action: "nope" }, status: 400 });
  });
});
