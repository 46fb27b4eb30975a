import fs from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { assertDocumentedResponse } from "../helpers/openapi-validator.js";

interface SessionRecord {
  id: string;
  status: string;
  exit_code: number | null;
  external: boolean;
  title: string;
}

let daemon: TestDaemon;
let api: RestClient;

beforeAll(async () => {
  daemon = await startDaemon();
  api = new RestClient(daemon.socket);
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

function externalBody(id: string, extra: Record<string, unknown> = {}) {
  return { id, projectRoot: "/tmp/project", harness: "codex", ...extra };
}

describe("handshake", () => {
  it("answers health with the contract's handshake from this process", async () => {
    const { status, body } = await api.get<Record<string, any>>("/api/v1/health");
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.apiVersion).toBe("coven.daemon.v1");
    expect(body.daemon).toEqual({
      pid: daemon.process.pid,
      startedAt: expect.any(String),
      socket: daemon.socket,
    });
    expect(body.capabilities).toMatchObject({
      sessions: true,
      events: true,
      eventCursor: "sequence",
      openapi: true,
    });
    expect(body.eventWriter.state).toBe("healthy");
    expect(body.eventWriter.capacityBytes).toBe(2 * 1024 * 1024);
    expect(body.storage.databaseBytes).toBeGreaterThan(0);
    expect(body.storage.freeDiskBytes).toBeGreaterThan(0);
  });

  it("answers health 200 whatever query string comes with it, as the contract says", async () => {
    const busted = await api.get<Record<string, any>>("/api/v1/health?t=1732700000&probe=yes");
    expect(busted.status).toBe(200);
    expect(busted.body.apiVersion).toBe("coven.daemon.v1");
    expect((await api.get("/api/v1/api-version?x=1")).status).toBe(200);
    // A parameterless mutation still refuses fields it does not know.
    const refresh = await api.post<Record<string, any>>("/api/v1/actions", {
      action: "coven.capabilities.refresh",
      surprise: 1,
    });
    expect(refresh.status).toBe(400);
  });

  it("creates COVEN_HOME 0700 and the socket 0600", () => {
    expect(fs.statSync(daemon.home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(daemon.socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${daemon.home}/coven.sqlite3`).mode & 0o777).toBe(0o600);
  });

  it("answers the legacy api-version probe", async () => {
    const { status, body } = await api.get("/api/v1/api-version");
    expect(status).toBe(200);
    expect(body).toEqual({ apiVersion: "v1", supportedApiVersions: ["v1"] });
  });
});

describe("capabilities and actions", () => {
  it("lists the daemon's own entries and the bundled harnesses", async () => {
    const { body } = await api.get<{ capabilities: { id: string; actions: string[] }[] }>(
      "/api/v1/capabilities",
    );
    const ids = body.capabilities.map((capability) => capability.id);
    expect(ids).toEqual(
      expect.arrayContaining(["coven.daemon", "harness.codex", "harness.claude", "harness.copilot"]),
    );
    expect(body.capabilities.find((c) => c.id === "coven.daemon")?.actions).toContain(
      "coven.capabilities.refresh",
    );
  });

  it("completes coven.capabilities.refresh", async () => {
    const { status, body } = await api.post<Record<string, any>>("/api/v1/actions", {
      action: "coven.capabilities.refresh",
      origin: "test",
      intentId: "intent-1",
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ok: true,
      accepted: true,
      status: "completed",
      action: "coven.capabilities.refresh",
    });
    expect(body.event).toMatchObject({
      action: "coven.capabilities.refresh",
      origin: "test",
      intentId: "intent-1",
    });
  });

  it("fails closed on an unknown action with the envelope and the legacy rejection", async () => {
    const { status, body } = await api.post<Record<string, any>>("/api/v1/actions", { action: "coven.nope" });
    expect(status).toBe(400);
    expect(body).toMatchObject({
      ok: false,
      accepted: false,
      action: "coven.nope",
      status: "rejected",
      reason: expect.any(String),
      error: { code: "invalid_request", details: { action: "coven.nope" } },
    });
  });
});

describe("sessions without a PTY", () => {
  it("lists a plain array without paging query, and registers external sessions 201 then 200", async () => {
    expect((await api.get("/api/v1/sessions")).body).toEqual([]);
    const first = await api.post<SessionRecord>(
      "/api/v1/sessions/external",
      externalBody("ext-1", { title: "T" }),
    );
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: "ext-1", status: "running", external: true, title: "T" });
    const again = await api.post<SessionRecord>("/api/v1/sessions/external", externalBody("ext-1"));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe("ext-1");
    const list = await api.get<SessionRecord[]>("/api/v1/sessions");
    expect(list.body.map((session) => session.id)).toEqual(["ext-1"]);
  });

  it("pages newest first through an opaque cursor that is stable under new inserts", async () => {
    for (const id of ["page-a", "page-b", "page-c"]) {
      await api.post("/api/v1/sessions/external", externalBody(id));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await api.get<{ sessions: SessionRecord[]; next_cursor: string | null }>(
      "/api/v1/sessions?limit=2",
    );
    expect(first.body.sessions.map((s) => s.id)).toEqual(["page-c", "page-b"]);
    expect(first.body.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    await api.post("/api/v1/sessions/external", externalBody("page-d"));
    const second = await api.get<{ sessions: SessionRecord[]; next_cursor: string | null }>(
      `/api/v1/sessions?limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.sessions.map((s) => s.id)).toEqual(["page-a", "ext-1"]);
    expect(second.body.next_cursor).toBeNull();
    const envelope = await api.get<{ sessions: SessionRecord[] }>("/api/v1/sessions?includeArchived=true");
    expect(envelope.body.sessions.length).toBe(5);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=abc", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    ["includeArchived=maybe", "includeArchived"],
  ])("refuses a bad paging query %s", async (query, field) => {
    const { status, body } = await api.get<Record<string, any>>(`/api/v1/sessions?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_request");
    const fields = body.error.details.fields ?? [body.error.details.field];
    expect(fields).toContain(field);
  });

  it("gets one session, and 404s an unknown one", async () => {
    expect((await api.get<SessionRecord>("/api/v1/sessions/ext-1")).body.id).toBe("ext-1");
    const missing = await api.get<Record<string, any>>("/api/v1/sessions/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "session_not_found", details: { sessionId: "nope" } });
  });

  it("completes external sessions: absent/null/0 → completed, else failed, with an exit event", async () => {
    await api.post("/api/v1/sessions/external", externalBody("done-0"));
    await api.post("/api/v1/sessions/external", externalBody("done-null"));
    await api.post("/api/v1/sessions/external", externalBody("done-3"));
    const zero = await api.post<SessionRecord>("/api/v1/sessions/done-0/complete", { exitCode: 0 });
    expect(zero.body).toMatchObject({ status: "completed", exit_code: 0 });
    const nul = await api.post<SessionRecord>("/api/v1/sessions/done-null/complete", { exitCode: null });
    expect(nul.body).toMatchObject({ status: "completed", exit_code: null });
    const three = await api.post<SessionRecord>("/api/v1/sessions/done-3/complete", { exitCode: 3 });
    expect(three.body).toMatchObject({ status: "failed", exit_code: 3 });
    const absent = await api.post<SessionRecord>("/api/v1/sessions/page-a/complete");
    expect(absent.body.status).toBe("completed");

    const events = await api.get<Record<string, any>>("/api/v1/sessions/done-3/events");
    expect(events.body.events).toHaveLength(1);
    expect(events.body.events[0].kind).toBe("exit");
    expect(JSON.parse(events.body.events[0].payload_json)).toEqual({ status: "failed", exitCode: 3 });

    const log = await api.get<{ level: string; message: string }[]>("/api/v1/sessions/done-3/log");
    expect(log.body).toEqual([
      expect.objectContaining({ level: "error", message: expect.stringContaining("failed") }),
    ]);
    expect((await api.post("/api/v1/sessions/nope/complete", {})).status).toBe(404);
  });

  it("refuses a secret-shaped external id or harness, and redacts the free text of a registration", async () => {
    // Assembled, so this file holds no secret-shaped literal for a repository scanner.
    const token = ["ghp", "Xq7vB2mK9pL4nR8sT1wY6zA3cE5gH0jUab12"].join("_");
    for (const [field, body] of [
      ["id", externalBody(`ext-${token}`)],
      ["harness", externalBody("ext-secret-harness", { harness: token })],
    ] as const) {
      const refused = await api.post<Record<string, any>>("/api/v1/sessions/external", body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual({ field, reason: "secret_shaped" });
      expect(JSON.stringify(refused.body)).not.toContain(token);
    }
    const registered = await api.post<Record<string, any>>(
      "/api/v1/sessions/external",
      externalBody("ext-redacted", { transcriptPath: `/tmp/transcripts/${token}.jsonl`, title: token }),
    );
    expect(registered.status).toBe(201);
    expect(registered.body.transcript_path).toBe("/tmp/transcripts/[REDACTED:github_token].jsonl");
    expect(JSON.stringify(registered.body)).not.toContain(token);
  });

  it("refuses a malformed external registration with the failing fields", async () => {
    const { status, body } = await api.post<Record<string, any>>("/api/v1/sessions/external", {
      id: "bad id!",
      harness: 7,
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details.fields).toEqual(expect.arrayContaining(["id", "projectRoot", "harness"]));
  });
});

describe("events", () => {
  // `limit` and `hasMore: true` need a session with several events: runtime.test.ts pages a harness's.
  it("pages with afterSeq and afterEventId, on both routes", async () => {
    await api.post("/api/v1/sessions/external", externalBody("ev-1"));
    await api.post("/api/v1/sessions/ev-1/complete", { exitCode: 1 });
    const all = await api.get<Record<string, any>>("/api/v1/events?sessionId=ev-1");
    expect(all.body.events).toHaveLength(1);
    const [exit] = all.body.events;
    expect(all.body.nextCursor).toEqual({ afterSeq: exit.seq });
    expect(all.body.hasMore).toBe(false);

    const after = await api.get<Record<string, any>>(`/api/v1/events?sessionId=ev-1&afterSeq=${exit.seq}`);
    expect(after.body).toEqual({ events: [], nextCursor: null, hasMore: false });
    const byId = await api.get<Record<string, any>>(`/api/v1/sessions/ev-1/events?afterEventId=${exit.id}`);
    expect(byId.body.events).toEqual([]);
  });

  it("refuses a missing sessionId, a bad limit, a foreign event id and an unknown session", async () => {
    expect((await api.get<Record<string, any>>("/api/v1/events")).body.error.details.fields).toContain(
      "sessionId",
    );
    expect((await api.get("/api/v1/events?sessionId=ev-1&limit=1001")).status).toBe(400);
    expect((await api.get("/api/v1/events?sessionId=ev-1&afterSeq=-1")).status).toBe(400);
    expect((await api.get("/api/v1/events?sessionId=ev-1&afterEventId=missing")).status).toBe(400);
    const unknown = await api.get<Record<string, any>>("/api/v1/events?sessionId=nope");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("session_not_found");
  });
});

describe("error envelope", () => {
  it("answers unknown routes and methods with 404 not_found", async () => {
    const route = await api.get<Record<string, any>>("/api/v1/nope");
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe("not_found");
    const method = await api.call<Record<string, any>>("DELETE", "/api/v1/health");
    expect(method.status).toBe(404);
    expect(method.body.error.code).toBe("not_found");
  });

  it("answers malformed JSON, a non-object body and unknown fields with 400", async () => {
    const malformed = await api.call<Record<string, any>>("POST", "/api/v1/sessions/external", {
      raw: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("invalid_request");
    const array = await api.call<Record<string, any>>("POST", "/api/v1/actions", { json: [1, 2] });
    expect(array.status).toBe(400);
    const extra = await api.post<Record<string, any>>("/api/v1/actions", {
      action: "coven.capabilities.refresh",
      surprise: 1,
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe("invalid_request");
    // The unknown field is named, like any other failing field.
    const bogus = await api.post<Record<string, any>>("/api/v1/sessions/external", {
      ...externalBody("bogus-1"),
      bogus: 1,
    });
    expect(bogus.status).toBe(400);
    expect(bogus.body.error.details.fields).toEqual(["bogus"]);
  });

  it("answers a body over 1 MiB with 413 payload_too_large", async () => {
    // The daemon answers 413 from the declared length alone, before reading the body, and closes the
    // connection. Only the headers are sent: body bytes the daemon never reads would make that close a reset,
    // which can reach the client before the answer does.
    const answer = await new Promise<string>((resolve) => {
      let received = "";
      const socket = net.connect({ path: daemon.socket }, () => {
        socket.write(
          "POST /api/v1/sessions/external HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            `Content-Length: ${1024 * 1024 + 10}\r\n\r\n`,
        );
      });
      socket.on("data", (chunk) => {
        received += chunk;
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(received));
    });
    const [head = "", text = ""] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    const parsed = JSON.parse(text);
    assertDocumentedResponse("POST", "/api/v1/sessions/external", 413, parsed);
    expect(parsed.error.code).toBe("payload_too_large");
  });
});

describe("OpenAPI", () => {
  it("serves the committed document byte for byte", async () => {
    const served = await api.get("/api/v1/openapi.json");
    const committed = fs.readFileSync(new URL("../../openapi/coven.daemon.v1.json", import.meta.url), "utf8");
    expect(served.text).toBe(committed);
  });
});
