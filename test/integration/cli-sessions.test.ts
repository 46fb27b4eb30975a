import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import {
  type CliOptions,
  jsonLines,
  runCli,
  runCliJson,
  startCli,
  waitForText,
} from "../helpers/cli-process.js";
import { startDaemon, type TestDaemon, tempDir, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";
import { assertMatchesComponent } from "../helpers/openapi-validator.js";

interface SessionRecord {
  id: string;
  status: string;
  exit_code: number | null;
  archived_at: string | null;
  project_root: string;
  cwd: string;
  title: string;
}
interface SessionPage {
  sessions: SessionRecord[];
  next_cursor: string | null;
}
interface EventRecord {
  seq: number;
  session_id: string;
  kind: string;
  payload_json: string;
}
interface Envelope {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

let daemon: TestDaemon;
let api: RestClient;
let kit: FakeHarnessKit;
let cli: CliOptions;

beforeAll(async () => {
  kit = fakeHarnessKit();
  daemon = await startDaemon({ env: kit.env });
  api = new RestClient(daemon.socket);
  cli = { env: { ...kit.env, COVEN_HOME: daemon.home }, cwd: kit.projectRoot };
});

afterAll(async () => {
  await api.close();
  await daemon.stop();
});

/** `coven run <harness> … --detach --json`: the launch record, validated. */
async function launchDetached(harness: string, ...prompt: string[]): Promise<SessionRecord> {
  const { code, body } = await runCliJson<SessionRecord>(
    ["run", harness, ...prompt, "--detach", "--json"],
    cli,
  );
  expect(code).toBe(0);
  assertMatchesComponent("SessionRecord", body);
  return body;
}

async function listed(all = false): Promise<SessionRecord[]> {
  const { code, body } = await runCliJson<SessionPage>(
    ["sessions", "--json", ...(all ? ["--all"] : [])],
    cli,
  );
  expect(code).toBe(0);
  assertMatchesComponent("SessionPage", body);
  return body.sessions;
}

async function waitForListedStatus(id: string, status: string): Promise<void> {
  await waitFor(
    async () => (await listed(true)).find((s) => s.id === id)?.status === status,
    `${id} ${status}`,
  );
}

describe("coven run --detach and coven sessions", () => {
  it("launches in the current directory's project and lists the session newest first", async () => {
    const plain = await runCli(["run", "fake-echo", "hello", "world", "--detach"], cli);
    expect(plain.code).toBe(0);
    const id = plain.stdout.trim();
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);

    const record = await launchDetached("fake-echo", "second");
    expect(record).toMatchObject({ status: "running", project_root: kit.projectRoot, cwd: kit.projectRoot });
    const sessions = await listed();
    expect(sessions.map((session) => session.id).slice(0, 2)).toEqual([record.id, id]);
    expect(sessions[1]!.title).toBe("hello world");

    const human = await runCli(["sessions"], cli);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+STATUS\s+HARNESS\s+CREATED\s+PROJECT\s+TITLE/);
    expect(human.stdout).toContain(record.id.slice(0, 8));
    expect(human.stdout).not.toContain("\x1b["); // no colour off a terminal
  });

  it("sends the nearest git root as the project and the canonical working directory as cwd", async () => {
    fs.mkdirSync(path.join(kit.projectRoot, ".git"), { recursive: true });
    try {
      const record = await launchDetached("fake-echo", "quick");
      expect(record.project_root).toBe(kit.projectRoot);
      expect(record.cwd).toBe(kit.projectRoot);
      const link = path.join(tempDir(), "link-to-sub");
      fs.symlinkSync(path.join(kit.projectRoot, "sub"), link);
      const { body } = await runCliJson<SessionRecord>(
        ["run", "fake-echo", "quick", "--detach", "--json", "--cwd", link, "--title", "in sub"],
        cli,
      );
      expect(body).toMatchObject({
        project_root: kit.projectRoot,
        cwd: path.join(kit.projectRoot, "sub"),
        title: "in sub",
      });
    } finally {
      fs.rmSync(path.join(kit.projectRoot, ".git"), { recursive: true });
    }
  });

  it("exits with the harness's exit code and, with --json, prints the record then one event per line", async () => {
    const result = await runCli(["run", "fake-fail", "--json"], cli);
    expect(result.code).toBe(7);
    const [record, ...events] = jsonLines<Record<string, unknown>>(result.stdout);
    assertMatchesComponent("SessionRecord", record);
    for (const event of events) assertMatchesComponent("EventRecord", event);
    expect(events.map((event) => event.kind)).toEqual(expect.arrayContaining(["launch", "output", "exit"]));

    // Attached without a terminal: the harness's output on stdout, its exit code as ours.
    const attached = await runCli(["run", "fake-fail"], cli);
    expect(attached.stdout).toContain("about to fail");
    expect(attached.code).toBe(7);
  });

  it("refuses an unknown harness with the daemon's error (envelope under --json)", async () => {
    const result = await runCliJson<Envelope>(["run", "no-such-harness", "--detach", "--json"], cli);
    expect(result.code).toBe(1);
    assertMatchesComponent("ErrorEnvelope", result.body);
    expect(result.body.error.code).toBe("invalid_request");
    expect(result.stderr).toContain("coven:");
  });
});

describe("coven events", () => {
  it("--follow prints output as it happens and returns when the session ends", async () => {
    const record = await launchDetached("fake-echo");
    const follower = startCli(["events", record.id.slice(0, 10), "--follow"], cli);
    await waitForText(follower.stdout, "hello from fake-echo");
    expect(follower.child.exitCode).toBeNull();

    await api.post(`/api/v1/sessions/${record.id}/input`, { data: "ping\r" });
    await waitForText(follower.stdout, "echo:PING");
    expect(follower.stdout()).toContain('input "ping\\r"');
    expect(follower.child.exitCode).toBeNull();

    await api.post(`/api/v1/sessions/${record.id}/input`, { data: "exit 0\r" });
    const result = await follower.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/exit completed code 0/);
  });

  it("--json prints each event record as one line, as the API stores them; --after skips", async () => {
    const record = await launchDetached("fake-echo", "quick");
    await waitForListedStatus(record.id, "completed");
    const result = await runCli(["events", record.id, "--json"], cli);
    expect(result.code).toBe(0);
    const lines = jsonLines<EventRecord>(result.stdout);
    for (const line of lines) assertMatchesComponent("EventRecord", line);
    const stored = await api.get<{ events: EventRecord[] }>(`/api/v1/sessions/${record.id}/events`);
    expect(lines).toEqual(stored.body.events);

    const after = await runCli(["events", record.id, "--json", "--after", String(lines[0]!.seq)], cli);
    expect(jsonLines(after.stdout)).toEqual(lines.slice(1));

    const followed = await runCli(["events", record.id, "--json", "--follow"], cli);
    expect(jsonLines(followed.stdout)).toEqual(lines);
  });
});

describe("kill, archive, summon, sacrifice", () => {
  it("change what coven sessions shows, and refuse what they must", async () => {
    const record = await launchDetached("fake-echo");
    const prefix = record.id.slice(0, 8);

    // A running session can be neither archived nor sacrificed.
    const archiveLive = await runCliJson<Envelope>(["archive", prefix, "--json"], cli);
    expect(archiveLive.code).toBe(1);
    assertMatchesComponent("ErrorEnvelope", archiveLive.body);
    expect(archiveLive.body.error).toMatchObject({
      code: "invalid_request",
      details: { reason: "session_is_live", sessionId: record.id },
    });
    const sacrificeLive = await runCliJson<Envelope>(["sacrifice", prefix, "--yes", "--json"], cli);
    expect(sacrificeLive.code).toBe(1);
    expect(sacrificeLive.body.error.details?.reason).toBe("session_is_live");
    expect(sacrificeLive.stderr).toContain("coven kill");

    const kill = await runCliJson(["kill", prefix, "--json"], cli);
    expect(kill.code).toBe(0);
    assertMatchesComponent("OkAccepted", kill.body);
    expect(kill.body).toEqual({ ok: true, accepted: true });
    await waitForListedStatus(record.id, "killed");

    const archived = await runCliJson<SessionRecord>(["archive", prefix, "--json"], cli);
    expect(archived.code).toBe(0);
    assertMatchesComponent("SessionRecord", archived.body);
    expect(archived.body.archived_at).not.toBeNull();
    expect((await listed()).map((session) => session.id)).not.toContain(record.id);
    expect((await listed(true)).find((session) => session.id === record.id)?.archived_at).toBe(
      archived.body.archived_at,
    );
    expect((await runCli(["sessions", "--all"], cli)).stdout).toContain("killed, archived");

    const summoned = await runCliJson<SessionRecord>(["summon", prefix, "--json"], cli);
    expect(summoned.code).toBe(0);
    assertMatchesComponent("SessionRecord", summoned.body);
    expect(summoned.body.archived_at).toBeNull();
    expect((await listed()).map((session) => session.id)).toContain(record.id);

    // Without --yes nothing happens.
    const unconfirmed = await runCli(["sacrifice", prefix], cli);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain("--yes");
    expect((await listed()).map((session) => session.id)).toContain(record.id);

    const sacrificed = await runCliJson(["sacrifice", prefix, "--yes", "--json"], cli);
    expect(sacrificed.code).toBe(0);
    assertMatchesComponent("OkAccepted", sacrificed.body);
    expect((await listed(true)).map((session) => session.id)).not.toContain(record.id);
    expect((await api.get(`/api/v1/sessions/${record.id}/events`)).status).toBe(404);

    const gone = await runCliJson<Envelope>(["show", record.id, "--json"], cli);
    expect(gone.code).toBe(1);
    assertMatchesComponent("ErrorEnvelope", gone.body);
    expect(gone.body.error.code).toBe("session_not_found");
  });

  it("kill waits until the session ended, so an archive right after it is accepted", async () => {
    const record = await launchDetached("fake-stubborn");
    await waitFor(
      async () => (await runCli(["events", record.id], cli)).stdout.includes("stubborn ready"),
      "ready",
    );
    // fake-stubborn ignores SIGTERM: only the daemon's SIGKILL escalation ends it.
    const kill = await runCli(["kill", record.id.slice(0, 8)], cli);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain(`Stopped session ${record.id}: killed.`);
    const archive = await runCli(["archive", record.id.slice(0, 8)], cli);
    expect(archive.code).toBe(0);
  });

  it("prints readable confirmations", async () => {
    const record = await launchDetached("fake-echo", "quick");
    await waitForListedStatus(record.id, "completed");
    const archive = await runCli(["archive", record.id.slice(0, 9)], cli);
    expect(archive.stdout).toContain(`Archived session ${record.id}`);
    const show = await runCli(["show", record.id.slice(0, 9)], cli);
    expect(show.stdout).toMatch(/status\s+completed \(exit 0\)/);
    expect(show.stdout).toMatch(/archived\s+\d{4}-\d\d-\d\d/);
    const sacrifice = await runCli(["sacrifice", record.id.slice(0, 9), "--yes"], cli);
    expect(sacrifice.stdout).toContain("Sacrificed session");
  });
});

describe("abbreviated ids", () => {
  it("accepts a unique prefix and names the candidates of an ambiguous one", async () => {
    const record = await launchDetached("fake-echo", "quick");
    const shown = await runCliJson<SessionRecord>(["show", record.id.slice(0, 6), "--json"], cli);
    expect(shown.code).toBe(0);
    assertMatchesComponent("SessionRecord", shown.body);
    expect(shown.body.id).toBe(record.id);

    for (const id of ["dup-prefix-1", "dup-prefix-2"]) {
      await api.post("/api/v1/sessions/external", { id, projectRoot: kit.projectRoot, harness: "codex" });
    }
    const ambiguous = await runCliJson<Envelope>(["show", "dup-prefix", "--json"], cli);
    expect(ambiguous.code).toBe(1);
    assertMatchesComponent("ErrorEnvelope", ambiguous.body);
    expect(ambiguous.body.error).toMatchObject({
      code: "invalid_request",
      details: { reason: "ambiguous_prefix", candidates: ["dup-prefix-1", "dup-prefix-2"] },
    });
    expect(ambiguous.stderr).toContain("dup-prefix-1, dup-prefix-2");

    const unknown = await runCli(["kill", "no-such-prefix"], cli);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no-such-prefix");
  });
});

describe("paging", () => {
  it("follows the daemon's cursor past one page and reports where it stopped", async () => {
    const own = await startDaemon({ env: kit.env });
    const ownApi = new RestClient(own.socket);
    try {
      const count = 1005;
      for (let start = 0; start < count; start += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, count - start) }, (_, index) =>
            ownApi.post("/api/v1/sessions/external", {
              id: `page-${String(start + index).padStart(4, "0")}`,
              projectRoot: kit.projectRoot,
              harness: "codex",
            }),
          ),
        );
      }
      const env = { ...cli, env: { ...cli.env, COVEN_HOME: own.home } };
      const cut = await runCliJson<SessionPage>(["sessions", "--json", "--limit", "1003"], env);
      assertMatchesComponent("SessionPage", cut.body);
      expect(cut.body.sessions).toHaveLength(1003);
      expect(cut.body.next_cursor).not.toBeNull();
      const all = await runCliJson<SessionPage>(["sessions", "--json", "--limit", "5000"], env);
      expect(all.body.sessions).toHaveLength(count);
      expect(all.body.next_cursor).toBeNull();
      expect(new Set(all.body.sessions.map((session) => session.id)).size).toBe(count);
      expect(all.body.sessions.slice(0, 1003)).toEqual(cut.body.sessions);
      // The default human listing shows the newest 50 and says there are more.
      const human = await runCli(["sessions"], env);
      expect(human.stdout.trim().split("\n")).toHaveLength(52);
      expect(human.stdout).toContain("raise --limit");
    } finally {
      await ownApi.close();
      await own.stop();
    }
  });
});

describe("without a daemon", () => {
  it("says the daemon is not running and how to start it", async () => {
    const stopped = await startDaemon({ env: kit.env });
    await stopped.stop();
    for (const args of [
      ["sessions"],
      ["show", "abc"],
      ["run", "fake-echo", "--detach"],
      ["events", "x", "-f"],
    ]) {
      const result = await runCli(args, { ...cli, env: { ...cli.env, COVEN_HOME: stopped.home } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("not running");
      expect(result.stderr).toContain("coven daemon start");
      expect(result.stdout).toBe("");
    }
  });
});
