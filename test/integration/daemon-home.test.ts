import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSocketTrpcClient } from "../../clients/core/trpc-client.js";
import { RestClient } from "../helpers/api.js";
import {
  COVEN_BIN,
  readDaemonLogs,
  startDaemon,
  type TestDaemon,
  tempDir,
  waitFor,
} from "../helpers/daemon.js";
import { fakeHarnessKit } from "../helpers/harness.js";
import { waitForSessionOutput } from "../helpers/session-events.js";
import { readSse } from "../helpers/sse.js";

function serveOnce(home: string) {
  return spawnSync(process.execPath, [COVEN_BIN, "daemon", "serve"], {
    env: { ...process.env, COVEN_HOME: home },
    encoding: "utf8",
    timeout: 10_000,
  });
}

/** Daemons started by the current test: stopped after it even when an assertion failed first. */
const started: TestDaemon[] = [];
afterEach(async () => {
  for (const daemon of started.splice(0)) await daemon.stop();
});

async function startTracked(options?: Parameters<typeof startDaemon>[0]): Promise<TestDaemon> {
  const daemon = await startDaemon(options);
  started.push(daemon);
  return daemon;
}

describe("COVEN_HOME safety", () => {
  it("refuses a group/world-writable COVEN_HOME", () => {
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chmodSync(home, 0o777);
    const result = serveOnce(home);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("world-writable");
    expect(fs.existsSync(path.join(home, "coven.sock"))).toBe(false);
  });

  it("refuses a COVEN_HOME too long for its socket path, before creating anything, and doctor says so", () => {
    const parent = tempDir();
    // `<home>/coven.sock` one byte over the 107 the kernel keeps of a socket path.
    const home = path.join(parent, "h".repeat(107 - parent.length - "/coven.sock".length));
    const result = serveOnce(home);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("too long for a Unix socket");
    expect(result.stderr).toContain("108 bytes");
    // Nothing was made: neither the home nor a socket at the path the kernel would have cut it to.
    expect(fs.readdirSync(parent)).toEqual([]);
    const doctor = spawnSync(process.execPath, [COVEN_BIN, "doctor", "--json"], {
      env: { ...process.env, COVEN_HOME: home },
      encoding: "utf8",
    });
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === "covenHome")?.status).toBe("fail");
  });

  it("refuses a COVEN_HOME that is a symlink", () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, "real"), { mode: 0o700 });
    fs.symlinkSync(path.join(root, "real"), path.join(root, "link"));
    const result = serveOnce(path.join(root, "link"));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("is a symlink");
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a COVEN_HOME owned by another user", () => {
    // Changing a directory's owner needs root; CI and this machine run as root.
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chownSync(home, 65534, 65534);
    const result = serveOnce(home);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("owned by uid 65534");
  });
});

describe("graceful shutdown", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("on %s closes cleanly and removes the socket", async (signal) => {
    const daemon = await startTracked();
    expect(await daemon.stop(signal)).toBe(0);
    expect(fs.existsSync(daemon.socket)).toBe(false);
    // The ledger survives: a second daemon on the same home opens it.
    const again = await startTracked({ home: daemon.home });
    expect(await again.stop()).toBe(0);
  });

  it("records the exits of its harnesses before it stops serving: a follower sees how its session ended", async () => {
    const kit = fakeHarnessKit();
    const daemon = await startTracked({ env: kit.env });
    const api = new RestClient(daemon.socket);
    const launched = await api.post<{ id: string }>("/api/v1/sessions", {
      projectRoot: kit.projectRoot,
      harness: "fake-echo",
      prompt: "",
    });
    await api.close();
    let stopped: Promise<number | null> | undefined;
    const followed = readSse(
      daemon.socket,
      `/api/v1/sessions/${launched.body.id}/events/stream`,
      (message) => {
        const event = message.event === "end" ? undefined : (JSON.parse(message.data) as { kind: string });
        // Stop the daemon once the harness is running and its output is being followed.
        if (event?.kind === "output") stopped ??= daemon.stop();
        return true;
      },
    );
    const { messages } = await followed;
    const kinds = messages.map((message) =>
      message.event === "end" ? "end" : JSON.parse(message.data).kind,
    );
    expect(kinds.slice(-2)).toEqual(["exit", "end"]);
    expect(JSON.parse(messages.at(-2)!.data).payload_json).toContain('"status":"killed"');
    expect(await stopped).toBe(0);
  });

  it("refuses launches while it stops (503 runtime_unavailable), instead of starting harnesses it would orphan", async () => {
    const kit = fakeHarnessKit();
    const daemon = await startTracked({ env: kit.env });
    const api = new RestClient(daemon.socket);
    const launch = () =>
      api.post<{ id: string; error?: { code: string } }>("/api/v1/sessions", {
        projectRoot: kit.projectRoot,
        harness: "fake-stubborn",
        prompt: "",
      });
    const launched = await launch();
    expect(launched.status).toBe(201);
    // Its handler is installed only once it prints: a SIGTERM before that would end it at once, and the stop
    // with it, before a launch could be refused.
    await waitForSessionOutput(api, launched.body.id, "stubborn ready");
    // The stubborn harness ignores SIGTERM: the stop waits out the kill grace period, serving meanwhile.
    const stopped = daemon.stop();
    let refused: Awaited<ReturnType<typeof launch>> | undefined;
    await waitFor(async () => {
      const attempt = await launch();
      if (attempt.status !== 201) refused = attempt;
      return refused !== undefined;
    }, "a launch refused during the stop");
    expect(refused?.status).toBe(503);
    expect(refused?.body.error?.code).toBe("runtime_unavailable");
    await api.close();
    expect(await stopped).toBe(0);
  });

  it("refuses to start a second daemon on a home that is being served", async () => {
    const daemon = await startTracked();
    const second = serveOnce(daemon.home);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("already serving");
    await daemon.stop();
  });
});

describe("request log", () => {
  const healthLine = /"method":"GET","route":"\/api\/v1\/health","status":200/;
  const notFoundLine =
    /"method":"GET","route":"\(unmatched\)","status":404,"durationMs":[\d.]+,"code":"not_found"/;

  it("logs refusals at info and successful reads only at debug", async () => {
    const daemon = await startTracked();
    const api = new RestClient(daemon.socket);
    expect((await api.get("/api/v1/health")).status).toBe(200);
    expect((await api.get("/api/v1/no-such-route")).status).toBe(404);
    await api.close();
    // A refusal over tRPC (how the CLI talks) names its contract code and procedure too.
    const trpc = createSocketTrpcClient(daemon.socket);
    await expect(trpc.sessions.get.query({ id: "no-such-session" })).rejects.toThrow();
    await daemon.stop(); // flushes the buffered log
    expect(readDaemonLogs(daemon.home)).toMatch(notFoundLine);
    expect(readDaemonLogs(daemon.home)).toMatch(
      /"route":"\/trpc\/:path","status":404,"durationMs":[\d.]+,"code":"session_not_found","procedures":"sessions.get"/,
    );
    expect(readDaemonLogs(daemon.home)).not.toMatch(healthLine);

    const verbose = await startTracked({ home: daemon.home, env: { COVEN_LOG_LEVEL: "debug" } });
    const again = new RestClient(verbose.socket);
    expect((await again.get("/api/v1/health")).status).toBe(200);
    await again.close();
    await verbose.stop();
    expect(readDaemonLogs(daemon.home)).toMatch(healthLine);
  });
});
