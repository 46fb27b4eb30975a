import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import {
  COVEN_BIN,
  readDaemonLogs,
  startDaemon,
  type TestDaemon,
  tempDir,
  waitFor,
} from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";

let kit: FakeHarnessKit;
let daemon: TestDaemon;

function coven(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [COVEN_BIN, ...args], {
    env: { ...process.env, ...kit.env, COVEN_HOME: daemon.home, ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
}

beforeAll(async () => {
  kit = fakeHarnessKit();
  daemon = await startDaemon({ env: kit.env });
});

afterAll(async () => {
  await daemon.stop();
});

describe("coven doctor", () => {
  it("reports node, home, daemon, store, disk and each adapter as JSON", () => {
    const result = coven(["doctor", "--json"]);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const byName = Object.fromEntries(report.checks.map((check: any) => [check.name, check]));
    expect(report.ok).toBe(true);
    expect(byName.node.status).toBe("ok");
    expect(byName.covenHome).toMatchObject({ status: "ok", data: { mode: "700" } });
    expect(byName.daemon).toMatchObject({
      status: "ok",
      data: { apiVersion: "coven.daemon.v1", pid: daemon.process.pid },
    });
    expect(byName.store).toMatchObject({ status: "ok", data: { quickCheck: "ok" } });
    expect(byName.store.data.schemaVersion).toBe(byName.store.data.supportedSchemaVersion);
    expect(byName.disk.data.freeDiskBytes).toBeGreaterThan(0);
    expect(byName["harness:fake-echo"]).toMatchObject({
      status: "ok",
      data: { path: path.join(kit.bin, "fake-echo") },
    });
    expect(byName["harness:codex"]).toMatchObject({ status: "warn", hint: "npm install -g @openai/codex" });
  });

  it("fails (exit 1) on an unsafe home and on a broken manifest, and says why", () => {
    const home = path.join(tempDir(), "open-home");
    fs.mkdirSync(home);
    fs.chmodSync(home, 0o777);
    const broken = path.join(tempDir(), "broken.json");
    fs.writeFileSync(broken, "{ not json");
    const result = coven(["doctor", "--json"], { COVEN_HOME: home, COVEN_HARNESS_ADAPTER_MANIFEST: broken });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    const failed = report.checks
      .filter((check: any) => check.status === "fail")
      .map((check: any) => check.name);
    expect(failed).toEqual(expect.arrayContaining(["covenHome", "adapterManifest"]));
    expect(report.ok).toBe(false);
  });

  it("fails on a privacy.toml the daemon would refuse to start with, before a restart finds out", () => {
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.writeFileSync(path.join(home, "privacy.toml"), "log_retention_dayz = 3\n");
    const result = coven(["doctor", "--json"], { COVEN_HOME: home });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    const privacy = report.checks.find((check: any) => check.name === "privacyConfig");
    expect(privacy).toMatchObject({ status: "fail" });
    expect(privacy.detail).toContain("log_retention_dayz: unknown key");
    // And the daemon does refuse it.
    const serve = spawnSync(process.execPath, [COVEN_BIN, "daemon", "serve"], {
      env: { ...process.env, COVEN_HOME: home },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain("log_retention_dayz");
  });

  it("prints a readable report", () => {
    const result = coven(["doctor"], { NO_COLOR: "1" });
    expect(result.stdout).toMatch(/^ok\s+node\s+Node\.js v/m);
    expect(result.stdout).toContain("No problems found.");
  });
});

describe("coven diagnostics bundle", () => {
  it("writes a redacted archive without prompts or outputs unless asked", async () => {
    const api = new RestClient(daemon.socket);
    await api.post("/api/v1/sessions/external", {
      id: "diag-1",
      projectRoot: "/tmp",
      harness: "codex",
      title: "deploy with AKIAIOSFODNN7EXAMPLE",
    });
    await api.close();
    // The request log is buffered (flushed every 500 ms); the bundle reads the file as it is on disk.
    await waitFor(
      () => readDaemonLogs(daemon.home).includes('"route":"/api/v1/sessions/external"'),
      "the request's log line on disk",
    );
    const out = tempDir();
    const plain = coven(["diagnostics", "bundle", "--output", path.join(out, "plain.tar.gz")]);
    expect(plain.status).toBe(0);
    expect(plain.stdout.trim()).toBe(path.join(out, "plain.tar.gz"));
    expect(fs.statSync(path.join(out, "plain.tar.gz")).mode & 0o777).toBe(0o600);
    spawnSync("tar", ["-xzf", "plain.tar.gz"], { cwd: out });
    const files = fs.readdirSync(path.join(out, "coven-diagnostics")).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "capabilities.json",
        "daemon-log-recent.jsonl",
        "doctor.json",
        "health.json",
        "status.json",
      ]),
    );
    expect(files).not.toContain("sessions.json");
    const status = JSON.parse(fs.readFileSync(path.join(out, "coven-diagnostics/status.json"), "utf8"));
    expect(status.state).toBe("running");
    const logs = fs.readFileSync(path.join(out, "coven-diagnostics/daemon-log-recent.jsonl"), "utf8");
    expect(logs).toContain('"route":"/api/v1/sessions/external"');

    const full = coven(["diagnostics", "bundle", "--include-sessions", "-o", path.join(out, "full.tar.gz")]);
    expect(full.status).toBe(0);
    fs.rmSync(path.join(out, "coven-diagnostics"), { recursive: true });
    spawnSync("tar", ["-xzf", "full.tar.gz"], { cwd: out });
    const sessions = fs.readFileSync(path.join(out, "coven-diagnostics/sessions.json"), "utf8");
    expect(sessions).toContain("diag-1");
    // The title was redacted when it was stored, and everything in the bundle is redacted again.
    expect(sessions).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(sessions).toContain("[REDACTED:aws_access_key_id]");
  });

  it("writes into a directory it is given, and refuses a symlink or a missing directory in one line", () => {
    const out = tempDir();
    const intoDirectory = coven(["diagnostics", "bundle", "-o", out]);
    expect(intoDirectory.status).toBe(0);
    expect(path.dirname(intoDirectory.stdout.trim())).toBe(out);
    expect(fs.existsSync(intoDirectory.stdout.trim())).toBe(true);

    const target = path.join(out, "precious.txt");
    fs.writeFileSync(target, "keep me", { mode: 0o644 });
    fs.symlinkSync(target, path.join(out, "link.tar.gz"));
    for (const [output, reason] of [
      [path.join(out, "link.tar.gz"), "is a symlink"],
      ["/nonexistent-dir/x.tar.gz", "is not an existing directory"],
    ] as const) {
      const refused = coven(["diagnostics", "bundle", "-o", output]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`No diagnostics bundle was written: `);
      expect(refused.stderr).toContain(reason);
      expect(refused.stderr).not.toContain("    at ");
    }
    // What the symlink points at was left alone.
    expect(fs.readFileSync(target, "utf8")).toBe("keep me");
    expect(fs.statSync(target).mode & 0o777).toBe(0o644);
  });
});
