import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { REPO_ROOT, startDaemon, type TestDaemon } from "../helpers/daemon.js";

/**
 * A client written against the reference implementation's payloads must accept ours: every field those files
 * have, our matching response has too, with the same JSON type.
 */
const FIXTURES = path.resolve(REPO_ROOT, "../shared/fixtures/upstream-coven-v1");

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Lists `path: type` mismatches of `ours` against `theirs`; nullable fields may hold either null or a value. */
function shapeMismatches(theirs: unknown, ours: unknown, at = "$"): string[] {
  if (ours === undefined) return [`${at}: missing`];
  const theirType = jsonType(theirs);
  const ourType = jsonType(ours);
  if (theirType === "null" || ourType === "null") return [];
  if (theirType !== ourType) return [`${at}: fixture ${theirType}, ours ${ourType}`];
  if (theirType === "array") {
    const [sample] = theirs as unknown[];
    const [ourSample] = ours as unknown[];
    return sample === undefined || ourSample === undefined
      ? []
      : shapeMismatches(sample, ourSample, `${at}[0]`);
  }
  if (theirType !== "object") return [];
  return Object.entries(theirs as Record<string, unknown>).flatMap(([key, value]) =>
    key in (ours as Record<string, unknown>)
      ? shapeMismatches(value, (ours as Record<string, unknown>)[key], `${at}.${key}`)
      : [`${at}.${key}: missing`],
  );
}

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));

let daemon: TestDaemon;
let api: RestClient;

beforeAll(async () => {
  daemon = await startDaemon();
  api = new RestClient(daemon.socket);
  await api.post("/api/v1/sessions/external", { id: "fx-done", projectRoot: "/tmp/p", harness: "codex" });
  await api.post("/api/v1/sessions/fx-done/complete", { exitCode: 0 });
  await api.post("/api/v1/sessions/external", { id: "fx-live", projectRoot: "/tmp/p", harness: "codex" });
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

describe("upstream fixtures", () => {
  it("has every fixture covered by a test below", () => {
    expect(fs.readdirSync(FIXTURES).sort()).toEqual([
      "error-session-not-live.json",
      "events-output-exit.json",
      "health-available.json",
      "health-daemon-null.json",
      "health-minimal.json",
      "session-completed.json",
      "session-running.json",
      "sessions-list.json",
    ]);
  });

  it.each(["health-available.json", "health-daemon-null.json", "health-minimal.json"])(
    "health ⊇ %s",
    async (name) => {
      const ours = (await api.get("/api/v1/health")).body;
      expect(shapeMismatches(fixture(name), ours)).toEqual([]);
    },
  );

  it("session records ⊇ session-completed.json and session-running.json", async () => {
    expect(
      shapeMismatches(fixture("session-completed.json"), (await api.get("/api/v1/sessions/fx-done")).body),
    ).toEqual([]);
    expect(
      shapeMismatches(fixture("session-running.json"), (await api.get("/api/v1/sessions/fx-live")).body),
    ).toEqual([]);
  });

  it("the plain session list ⊇ sessions-list.json", async () => {
    expect(shapeMismatches(fixture("sessions-list.json"), (await api.get("/api/v1/sessions")).body)).toEqual(
      [],
    );
  });

  it("the event envelope ⊇ events-output-exit.json", async () => {
    const ours = (await api.get("/api/v1/sessions/fx-done/events")).body;
    expect(shapeMismatches(fixture("events-output-exit.json"), ours)).toEqual([]);
  });

  it("the error envelope ⊇ error-session-not-live.json, for the same refusal", async () => {
    // Input to a session that is not live: fx-done has ended (no PTY of this daemon was ever behind it).
    const ours = await api.post<{ error: { code: string; details: Record<string, unknown> } }>(
      "/api/v1/sessions/fx-done/input",
      { data: "hello" },
    );
    expect(ours.status).toBe(409);
    expect(ours.body.error.code).toBe(fixture("error-session-not-live.json").error.code);
    expect(ours.body.error.details).toMatchObject({ sessionId: "fx-done" });
    expect(shapeMismatches(fixture("error-session-not-live.json"), ours.body)).toEqual([]);
  });
});
