import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CovenTrpcClient, createSocketTrpcClient } from "../../clients/core/trpc-client.js";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";

/** The archive routes (archive, summon, sacrifice) and id-prefix resolve; every body is checked by RestClient. */
interface SessionRecord {
  id: string;
  status: string;
  archived_at: string | null;
  updated_at: string;
}
interface Envelope {
  error: { code: string; message: string; details?: Record<string, unknown> };
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

async function launch(prompt = ""): Promise<SessionRecord> {
  return (
    await api.post<SessionRecord>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt,
    })
  ).body;
}

async function finished(prompt = "quick"): Promise<SessionRecord> {
  const session = await launch(prompt);
  await waitFor(
    async () => (await api.get<SessionRecord>(`/api/v1/sessions/${session.id}`)).body.status === "completed",
    "the session to complete",
  );
  return (await api.get<SessionRecord>(`/api/v1/sessions/${session.id}`)).body;
}

async function listedIds(query = ""): Promise<string[]> {
  const response = await api.get<SessionRecord[] | { sessions: SessionRecord[] }>(`/api/v1/sessions${query}`);
  const sessions = Array.isArray(response.body) ? response.body : response.body.sessions;
  return sessions.map((session) => session.id);
}

describe("health", () => {
  it("advertises sessionArchive", async () => {
    const health = await api.get<{ capabilities: Record<string, unknown> }>("/api/v1/health");
    expect(health.body.capabilities.sessionArchive).toBe(true);
  });
});

describe("archive and summon", () => {
  it("set and clear the archived_at overlay, idempotently, and move the session in and out of the list", async () => {
    const session = await finished();
    const archived = await api.post<SessionRecord>(`/api/v1/sessions/${session.id}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body.status).toBe("completed");
    expect(archived.body.archived_at).toMatch(/Z$/);
    expect(await listedIds()).not.toContain(session.id);
    expect(await listedIds("?includeArchived=true")).toContain(session.id);

    const again = await api.post<SessionRecord>(`/api/v1/sessions/${session.id}/archive`);
    expect(again.body.archived_at).toBe(archived.body.archived_at);

    const summoned = await api.post<SessionRecord>(`/api/v1/sessions/${session.id}/summon`);
    expect(summoned.status).toBe(200);
    expect(summoned.body.archived_at).toBeNull();
    expect(await listedIds()).toContain(session.id);
    expect((await api.post<SessionRecord>(`/api/v1/sessions/${session.id}/summon`)).status).toBe(200);
  });

  it("refuses a running session with invalid_request, reason session_is_live", async () => {
    const session = await launch();
    const refused = await api.post<Envelope>(`/api/v1/sessions/${session.id}/archive`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: "invalid_request",
      details: { reason: "session_is_live", sessionId: session.id, status: "running" },
    });
    await api.post(`/api/v1/sessions/${session.id}/kill`);
  });

  it("accepts an external session, which this daemon does not run", async () => {
    await api.post("/api/v1/sessions/external", { id: "ext-archive", projectRoot: "/tmp", harness: "codex" });
    const archived = await api.post<SessionRecord>("/api/v1/sessions/ext-archive/archive");
    expect(archived.status).toBe(200);
    expect(archived.body.archived_at).not.toBeNull();
  });

  it("answers 404 session_not_found for unknown ids, over REST and tRPC", async () => {
    for (const route of ["archive", "summon", "sacrifice"]) {
      const response = await api.post<Envelope>(`/api/v1/sessions/nope/${route}`);
      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({
        code: "session_not_found",
        details: { sessionId: "nope" },
      });
    }
    await expect(trpc.sessions.archive.mutate({ id: "nope" })).rejects.toMatchObject({
      data: { covenCode: "session_not_found", httpStatus: 404 },
    });
  });
});

describe("sacrifice", () => {
  it("deletes a finished session and its events for good; seqs are never reused", async () => {
    const session = await finished();
    const before = await api.get<{ events: { seq: number }[] }>(`/api/v1/sessions/${session.id}/events`);
    const lastSeq = before.body.events.at(-1)!.seq;
    const response = await api.post(`/api/v1/sessions/${session.id}/sacrifice`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, accepted: true });
    expect((await api.get<Envelope>(`/api/v1/sessions/${session.id}`)).status).toBe(404);
    expect((await api.get<Envelope>(`/api/v1/sessions/${session.id}/events`)).status).toBe(404);
    expect(await listedIds("?includeArchived=true")).not.toContain(session.id);
    expect((await api.post<Envelope>(`/api/v1/sessions/${session.id}/sacrifice`)).status).toBe(404);

    const next = await finished();
    const events = await api.get<{ events: { seq: number }[] }>(`/api/v1/sessions/${next.id}/events`);
    expect(events.body.events[0]!.seq).toBeGreaterThan(lastSeq);
  });

  it("refuses a live session and leaves it untouched", async () => {
    const session = await launch();
    const refused = await api.post<Envelope>(`/api/v1/sessions/${session.id}/sacrifice`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toMatchObject({ reason: "session_is_live" });
    expect((await api.get<SessionRecord>(`/api/v1/sessions/${session.id}`)).body.status).toBe("running");
    await api.post(`/api/v1/sessions/${session.id}/kill`);
  });
});

describe("resolve", () => {
  beforeAll(async () => {
    for (const id of ["res-abc", "res-abcd", "res-xyz1", "res-xyz2"]) {
      await api.post("/api/v1/sessions/external", { id, projectRoot: "/tmp", harness: "codex" });
    }
    await api.post("/api/v1/sessions/res-xyz1/complete", {});
    await api.post("/api/v1/sessions/res-xyz1/archive");
  });

  it("answers the one session a unique prefix names, archived ones included", async () => {
    const unique = await api.get<SessionRecord>("/api/v1/sessions/resolve?prefix=res-xyz1");
    expect(unique.status).toBe(200);
    expect(unique.body.id).toBe("res-xyz1");
    expect(unique.body.archived_at).not.toBeNull();
    const daemonIssued = await finished();
    const byPrefix = await api.get<SessionRecord>(
      `/api/v1/sessions/resolve?prefix=${daemonIssued.id.slice(0, 8)}`,
    );
    expect(byPrefix.body.id).toBe(daemonIssued.id);
    expect(await trpc.sessions.resolve.query({ prefix: daemonIssued.id.slice(0, 8) })).toMatchObject({
      id: daemonIssued.id,
    });
  });

  it("prefers an exact id over longer ids it prefixes", async () => {
    expect((await api.get<SessionRecord>("/api/v1/sessions/resolve?prefix=res-abc")).body.id).toBe("res-abc");
  });

  it("refuses an ambiguous prefix with the candidates, and answers 404 when nothing matches", async () => {
    const ambiguous = await api.get<Envelope>("/api/v1/sessions/resolve?prefix=res-xyz");
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error).toMatchObject({
      code: "invalid_request",
      details: { reason: "ambiguous_prefix", candidates: ["res-xyz1", "res-xyz2"], truncated: false },
    });
    const none = await api.get<Envelope>("/api/v1/sessions/resolve?prefix=res-none");
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("session_not_found");
  });

  it("does not hide a session whose id is `resolve`: without a query, the path is that session's record", async () => {
    expect((await api.get<Envelope>("/api/v1/sessions/resolve")).body.error.code).toBe("session_not_found");
    await api.post("/api/v1/sessions/external", { id: "resolve", projectRoot: "/tmp", harness: "codex" });
    const record = await api.get<SessionRecord>("/api/v1/sessions/resolve");
    expect(record.status).toBe(200);
    expect(record.body.id).toBe("resolve");
    // Its sub-resources were never hidden, and a prefix still resolves.
    expect((await api.get("/api/v1/sessions/resolve/events")).status).toBe(200);
    expect((await api.get<SessionRecord>("/api/v1/sessions/resolve?prefix=resol")).body.id).toBe("resolve");
  });

  it("lists at most ten candidates and says when there are more", async () => {
    for (let index = 0; index < 12; index += 1) {
      await api.post("/api/v1/sessions/external", {
        id: `many-${index}`,
        projectRoot: "/tmp",
        harness: "codex",
      });
    }
    const response = await api.get<Envelope>("/api/v1/sessions/resolve?prefix=many-");
    expect(response.body.error.details).toMatchObject({ truncated: true });
    expect(response.body.error.details?.candidates).toHaveLength(10);
  });

  it("validates the prefix: GLOB characters and empty prefixes are schema violations", async () => {
    for (const prefix of ["res-*", "res-?", "", "%5B"]) {
      const response = await api.get<Envelope>(`/api/v1/sessions/resolve?prefix=${prefix}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("invalid_request");
    }
    // Without any query the path is the session named `resolve` (see above), not a resolve without a prefix.
    expect((await api.get<Envelope>("/api/v1/sessions/resolve?other=1")).status).toBe(400);
  });
});
