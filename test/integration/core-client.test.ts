import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CovenClient } from "../../clients/core/client.js";
import {
  CovenClientError,
  DaemonNotRunningError,
  IncompatibleDaemonError,
} from "../../clients/core/errors.js";
import { covenSocketPath, resolveCovenHome } from "../../clients/core/home.js";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, tempDir, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";

/** The shared typed client (`clients/core`), against a real daemon. */
let daemon: TestDaemon;
let api: RestClient;
let kit: FakeHarnessKit;

beforeAll(async () => {
  kit = fakeHarnessKit();
  daemon = await startDaemon({ env: kit.env });
  api = new RestClient(daemon.socket);
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

/** A Unix-socket proxy in front of the daemon that can cut every connection going through it. */
async function startProxy(target: string) {
  const socketPath = path.join(tempDir("coven-proxy-"), "proxy.sock");
  const open = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(target);
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {});
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A server that answers every tRPC batch with one health body (for handshake refusals). */
async function startFakeDaemon(health: Record<string, unknown>) {
  const socketPath = path.join(tempDir("coven-fake-"), "coven.sock");
  const server = http.createServer((request, response) => {
    const calls = decodeURIComponent(request.url ?? "")
      .split("?")[0]!
      .split("/")
      .at(-1)!
      .split(",");
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(calls.map(() => ({ result: { data: health } }))));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("COVEN_HOME", () => {
  it("defaults to ~/.coven and names the socket inside it", () => {
    expect(resolveCovenHome({ HOME: "/home/someone" })).toMatch(/\.coven$/);
    expect(resolveCovenHome({ COVEN_HOME: "/srv/coven" })).toBe("/srv/coven");
    expect(resolveCovenHome({ COVEN_HOME: "  " })).toMatch(/\.coven$/);
    expect(covenSocketPath("/srv/coven")).toBe("/srv/coven/coven.sock");
    expect(new CovenClient({ env: { COVEN_HOME: "/srv/coven" } }).socketPath).toBe("/srv/coven/coven.sock");
  });
});

describe("the handshake and typed errors", () => {
  it("maps contract errors to CovenClientError with the daemon's code, message, details and status", async () => {
    const client = new CovenClient({ home: daemon.home });
    const error = await client.getSession("missing-one").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CovenClientError);
    expect(error).toMatchObject({
      code: "session_not_found",
      status: 404,
      details: { sessionId: "missing-one" },
      message: "Session was not found.",
    });
    const refused = await client
      .launch({ projectRoot: "relative", harness: "fake-echo", prompt: "" })
      .catch((caught: unknown) => caught);
    expect(refused).toMatchObject({
      code: "invalid_request",
      status: 400,
      details: { field: "projectRoot" },
    });
    client.close();
  });

  it("throws DaemonNotRunningError naming the socket and `coven daemon start`", async () => {
    const home = path.join(tempDir(), "home");
    const client = new CovenClient({ home });
    const error = await client.listSessions({ limit: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DaemonNotRunningError);
    expect((error as Error).message).toContain(path.join(home, "coven.sock"));
    expect((error as Error).message).toContain("coven daemon start");
  });

  it("refuses a daemon that speaks another contract, or lacks a capability a call needs", async () => {
    const healthy = await new CovenClient({ home: daemon.home }).handshake();
    const otherVersion = await startFakeDaemon({ ...healthy, apiVersion: "coven.daemon.v2" });
    const noArchive = await startFakeDaemon({
      ...healthy,
      capabilities: { ...healthy.capabilities, sessionArchive: false },
    });
    try {
      const wrong = new CovenClient({ socketPath: otherVersion.socketPath, home: daemon.home });
      await expect(wrong.listSessions({ limit: 1 })).rejects.toBeInstanceOf(IncompatibleDaemonError);
      const old = new CovenClient({ socketPath: noArchive.socketPath, home: daemon.home });
      const error = await old.archive("any").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(IncompatibleDaemonError);
      expect(error).toMatchObject({ missingCapability: "sessionArchive" });
      wrong.close();
      old.close();
    } finally {
      await otherVersion.close();
      await noArchive.close();
    }
  });
});

describe("following a session", () => {
  it("resumes after the last seq when the connection drops: nothing lost, nothing repeated", async () => {
    const proxy = await startProxy(daemon.socket);
    const client = new CovenClient({ socketPath: proxy.socketPath, home: daemon.home });
    try {
      const launched = await client.launch({
        projectRoot: kit.projectRoot,
        harness: "fake-echo",
        prompt: "",
      });
      const received: { seq: number; kind: string }[] = [];
      const resumedAfter: number[] = [];
      let cut = false;
      for await (const event of client.followSession(launched.id, {
        onReconnect: (afterSeq) => resumedAfter.push(afterSeq),
      })) {
        received.push(event);
        if (event.kind === "output" && !cut) {
          cut = true;
          proxy.cut();
          // While the client is disconnected the session goes on.
          await api.post(`/api/v1/sessions/${launched.id}/input`, { data: "during the cut\r" });
          await api.post(`/api/v1/sessions/${launched.id}/input`, { data: "exit 0\r" });
        }
      }
      expect(resumedAfter.length).toBeGreaterThanOrEqual(1);
      expect(resumedAfter[0]).toBe(received.find((event) => event.kind === "output")!.seq);
      const stored = await api.get<{ events: unknown[] }>(`/api/v1/sessions/${launched.id}/events`);
      expect(received).toEqual(stored.body.events);
      expect(received.at(-1)?.kind).toBe("exit");
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("gives up with DaemonNotRunningError once nothing serves the socket any more", async () => {
    const proxy = await startProxy(daemon.socket);
    const client = new CovenClient({ socketPath: proxy.socketPath, home: daemon.home });
    const launched = await client.launch({ projectRoot: kit.projectRoot, harness: "fake-echo", prompt: "" });
    try {
      const seen: string[] = [];
      const error = await (async () => {
        for await (const event of client.followSession(launched.id, { reconnectWindowMs: 300 })) {
          seen.push(event.kind);
          if (event.kind === "output") await proxy.close();
        }
      })().catch((caught: unknown) => caught);
      expect(seen).toContain("output");
      expect(error).toBeInstanceOf(DaemonNotRunningError);
    } finally {
      client.close();
      await api.post(`/api/v1/sessions/${launched.id}/kill`);
    }
  });

  it("ends a finished session's replay after its exit event, and stops when aborted", async () => {
    const client = new CovenClient({ home: daemon.home });
    const launched = await client.launch({
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt: "quick",
    });
    await waitFor(async () => (await client.getSession(launched.id)).status === "completed", "completion");
    const kinds: string[] = [];
    for await (const event of client.followSession(launched.id)) kinds.push(event.kind);
    expect(kinds.at(-1)).toBe("exit");

    const live = await client.launch({ projectRoot: kit.projectRoot, harness: "fake-echo", prompt: "" });
    const stop = new AbortController();
    const liveKinds: string[] = [];
    for await (const event of client.followSession(live.id, { signal: stop.signal })) {
      liveKinds.push(event.kind);
      if (event.kind === "output") stop.abort();
    }
    expect(liveKinds).toEqual(["launch", "output"]);
    await client.kill(live.id);
    client.close();
  });
});
