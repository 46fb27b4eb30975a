import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processAlive } from "../../server/daemon/daemon-process.js";
import { REPO_ROOT, tempDir, waitFor } from "../helpers/daemon.js";
import { runCovenCommand as runCoven } from "../helpers/lifecycle-cli.js";

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;
const hasProcFs = fs.existsSync("/proc/self/cmdline");

/** Every home a test used and every daemon pid it saw, so nothing outlives the suite. */
const homes = new Set<string>();
const pids = new Set<number>();

function freshHome(): string {
  const home = path.join(tempDir("coven-lifecycle-"), "home");
  homes.add(home);
  return home;
}

function coven(home: string, ...args: string[]) {
  return runCoven(args, { env: { COVEN_HOME: home } });
}

function files(home: string) {
  return {
    socket: path.join(home, "coven.sock"),
    daemonJson: path.join(home, "daemon.json"),
    lock: path.join(home, "daemon.lock"),
    log: path.join(home, "logs", "daemon.out"),
  };
}

function readDaemonJson(home: string): { pid: number; socket: string; startedAt: string; version: string } {
  return JSON.parse(fs.readFileSync(files(home).daemonJson, "utf8"));
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** `coven daemon start` on `home`, which must succeed; returns the status JSON of the daemon it started. */
async function start(home: string) {
  const started = await coven(home, "daemon", "start");
  expect(started.stderr).toBe("");
  expect(started.status).toBe(0);
  const status = await coven(home, "daemon", "status", "--json");
  const parsed = JSON.parse(status.stdout);
  if (typeof parsed.pid === "number") pids.add(parsed.pid);
  expect(status.status).toBe(0);
  return parsed as {
    state: string;
    ok: boolean;
    pid: number;
    socket: string;
    startedAt: string;
    apiVersion: string;
  };
}

afterAll(async () => {
  // Normally every test stopped its daemons already; this is for a test that failed half-way.
  const leftBehind = [...homes].filter((home) => fs.existsSync(files(home).lock));
  await Promise.all(
    leftBehind.map((home) => coven(home, "daemon", "stop", "--timeout", "5").catch(() => undefined)),
  );
  for (const pid of pids) {
    if (!processAlive(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}, 60_000);

// Each test runs up to a dozen CLI processes and daemons; on two shared, busy cores that can exceed 30 s.
describe("coven daemon start / status / stop", { timeout: 120_000 }, () => {
  it("starts in the background, refuses a second instance, and stops cleanly", async () => {
    const home = freshHome();
    const { socket, daemonJson, lock, log } = files(home);

    const running = await start(home);
    expect(running).toMatchObject({ state: "running", ok: true, socket, apiVersion: "coven.daemon.v1" });
    expect(processAlive(running.pid)).toBe(true);
    expect(mode(home)).toBe(0o700);
    expect(mode(path.dirname(log))).toBe(0o700);
    expect(fs.existsSync(log)).toBe(true);
    // daemon.json: written by the daemon itself, atomically, owner-only, agreeing with its health answer.
    expect(mode(daemonJson)).toBe(0o600);
    expect(readDaemonJson(home)).toEqual({
      pid: running.pid,
      socket,
      startedAt: running.startedAt,
      version: PACKAGE_VERSION,
    });
    expect(fs.readFileSync(lock, "utf8").trim()).toBe(String(running.pid));

    const human = await coven(home, "daemon", "status");
    expect(human.status).toBe(0);
    expect(human.stdout).toContain("running");
    expect(human.stdout).toContain(String(running.pid));

    const secondStart = await coven(home, "daemon", "start");
    expect(secondStart.status).toBe(1);
    expect(secondStart.stderr).toContain("already running");
    const secondServe = await coven(home, "daemon", "serve");
    expect(secondServe.status).toBe(1);
    expect(secondServe.stderr).toContain("already serving");
    // The refused instances touched nothing of the running one.
    expect(fs.readFileSync(lock, "utf8").trim()).toBe(String(running.pid));
    expect(readDaemonJson(home).pid).toBe(running.pid);
    expect((await coven(home, "daemon", "status")).status).toBe(0);

    const stop = await coven(home, "daemon", "stop");
    expect(stop.status).toBe(0);
    expect(stop.stdout).toContain(`stopped (pid ${running.pid})`);
    expect(processAlive(running.pid)).toBe(false);
    for (const file of [socket, daemonJson, lock]) expect(fs.existsSync(file)).toBe(false);

    const stopped = await coven(home, "daemon", "status", "--json");
    expect(stopped.status).toBe(3);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ state: "stopped", ok: false, socket });
    expect((await coven(home, "daemon", "status")).stdout).toContain("stopped");

    const again = await coven(home, "daemon", "stop");
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("not running");
  });

  it("reports a SIGKILLed daemon as stale, and starts over its leftovers", async () => {
    const home = freshHome();
    const { socket, daemonJson, lock } = files(home);
    const first = await start(home);
    process.kill(first.pid, "SIGKILL");
    await waitFor(() => !processAlive(first.pid), "the killed daemon to die");
    for (const file of [socket, daemonJson, lock]) expect(fs.existsSync(file)).toBe(true);

    const stale = await coven(home, "daemon", "status", "--json");
    expect(stale.status).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({ state: "stale", ok: false, pid: first.pid });
    expect((await coven(home, "daemon", "status")).stdout).toContain("stale");

    const second = await start(home);
    expect(second.pid).not.toBe(first.pid);
    expect(readDaemonJson(home).pid).toBe(second.pid);
    expect(fs.readFileSync(lock, "utf8").trim()).toBe(String(second.pid));
    expect((await coven(home, "daemon", "stop")).status).toBe(0);
  });

  it("says so when another program serves the socket, and advises what coven can actually do", async () => {
    const home = freshHome();
    fs.mkdirSync(home, { mode: 0o700 });
    const { socket } = files(home);
    const connections = new Set<net.Socket>();
    const other = net.createServer((connection) => {
      connections.add(connection);
      // Clients hang up on this answer; their resets are expected.
      connection.on("error", () => {});
      connection.end("not http\r\n");
    });
    await new Promise<void>((resolve) => other.listen(socket, resolve));
    try {
      const status = await coven(home, "daemon", "status", "--json");
      expect(status.status).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject({
        state: "stale",
        reason: `something that is not a Coven daemon answers on ${socket}`,
        hint: expect.stringContaining("coven does not touch a socket another program serves"),
      });
      expect((await coven(home, "daemon", "status")).stdout).toContain("stop that program");
    } finally {
      for (const connection of connections) connection.destroy();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("cleans up a crashed daemon's leftovers on stop", async () => {
    const home = freshHome();
    const { socket, daemonJson, lock } = files(home);
    const first = await start(home);
    process.kill(first.pid, "SIGKILL");
    await waitFor(() => !processAlive(first.pid), "the killed daemon to die");

    const stop = await coven(home, "daemon", "stop");
    expect(stop.status).toBe(0);
    expect(stop.stdout).toContain("not running");
    for (const file of [socket, daemonJson, lock]) expect(fs.existsSync(file)).toBe(false);
    expect((await coven(home, "daemon", "status")).status).toBe(3);
  });

  it("does not trust a daemon.json that names another home's socket", async () => {
    const homeA = freshHome();
    const homeB = freshHome();
    const a = await start(homeA);
    fs.mkdirSync(homeB, { mode: 0o700 });
    fs.copyFileSync(files(homeA).daemonJson, files(homeB).daemonJson);

    const status = await coven(homeB, "daemon", "status", "--json");
    expect(status.status).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: "stopped", ok: false });
    expect(JSON.parse(status.stdout).warnings.join("\n")).toContain("ignored");
    expect((await coven(homeB, "daemon", "status")).stderr).toContain("ignored");

    // Stopping home B must not signal home A's daemon.
    const stop = await coven(homeB, "daemon", "stop");
    expect(stop.status).toBe(0);
    expect(stop.stdout).toContain("not running");
    expect(processAlive(a.pid)).toBe(true);
    expect((await coven(homeA, "daemon", "status")).status).toBe(0);

    const b = await start(homeB);
    expect(b.pid).not.toBe(a.pid);
    expect(readDaemonJson(homeB)).toMatchObject({ pid: b.pid, socket: files(homeB).socket });
    expect((await coven(homeB, "daemon", "stop")).status).toBe(0);
    expect((await coven(homeA, "daemon", "stop")).status).toBe(0);
  });

  it("replaces a lock whose pid is alive but is not a Coven daemon", async () => {
    const home = freshHome();
    fs.mkdirSync(home, { mode: 0o700 });
    // This test process is alive, and it is not `coven daemon serve`.
    fs.writeFileSync(files(home).lock, `${process.pid}\n`, { mode: 0o600 });
    const running = await start(home);
    expect(fs.readFileSync(files(home).lock, "utf8").trim()).toBe(String(running.pid));
    expect((await coven(home, "daemon", "stop")).status).toBe(0);
  });

  it("fails with the daemon's own output when the daemon cannot start, and leaves no lock", async () => {
    const home = freshHome();
    fs.mkdirSync(home, { mode: 0o700 });
    fs.writeFileSync(path.join(home, "privacy.toml"), 'extra_patterns = ["("]\n');
    const result = await coven(home, "daemon", "start");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("exited with code 1");
    expect(result.stderr).toContain("daemon.out");
    expect(result.stderr).toContain("extra_patterns[0]");
    expect(fs.existsSync(files(home).lock)).toBe(false);
    expect(fs.existsSync(files(home).socket)).toBe(false);
    expect((await coven(home, "daemon", "status")).status).toBe(3);
  });

  it.skipIf(!hasProcFs)("escalates to SIGKILL for a verified daemon that does not stop in time", async () => {
    const home = freshHome();
    const { socket, daemonJson, lock } = files(home);
    const running = await start(home);
    // A stopped (SIGSTOP) daemon neither answers health nor acts on SIGTERM; /proc still identifies it.
    process.kill(running.pid, "SIGSTOP");
    try {
      const status = await coven(home, "daemon", "status", "--json");
      expect(status.status).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject({ state: "stale", pid: running.pid });

      const stop = await coven(home, "daemon", "stop", "--timeout", "1");
      expect(stop.status).toBe(0);
      expect(stop.stdout).toContain("SIGKILL");
      expect(processAlive(running.pid)).toBe(false);
      expect(
        [socket, daemonJson, lock].filter((file) => fs.existsSync(file)),
        `files left behind; stop said: ${stop.stdout}`,
      ).toEqual([]);
    } finally {
      if (processAlive(running.pid)) process.kill(running.pid, "SIGKILL");
    }
  });

  it("restart replaces the daemon with a new process", async () => {
    const home = freshHome();
    const first = await start(home);
    const restart = await coven(home, "daemon", "restart");
    expect(restart.status).toBe(0);
    expect(restart.stdout).toContain(`stopped (pid ${first.pid})`);
    expect(restart.stdout).toContain("started");
    const status = JSON.parse((await coven(home, "daemon", "status", "--json")).stdout);
    pids.add(status.pid);
    expect(status).toMatchObject({ state: "running" });
    expect(status.pid).not.toBe(first.pid);
    expect(processAlive(first.pid)).toBe(false);
    expect((await coven(home, "daemon", "stop")).status).toBe(0);
  });

  it("does not restart onto a privacy.toml or --tcp the new daemon would refuse: the running one is left alone", async () => {
    const home = freshHome();
    const first = await start(home);
    fs.writeFileSync(path.join(home, "privacy.toml"), "log_retention_dayz = 3\n");
    const restart = await coven(home, "daemon", "restart");
    expect(restart.status).toBe(1);
    expect(restart.stderr).toContain("not restarting, the running daemon was left alone");
    expect(restart.stderr).toContain("log_retention_dayz");
    expect(processAlive(first.pid)).toBe(true);
    expect(JSON.parse((await coven(home, "daemon", "status", "--json")).stdout)).toMatchObject({
      state: "running",
      pid: first.pid,
    });
    fs.rmSync(path.join(home, "privacy.toml"));
    // Nor onto a TCP address the new daemon would refuse (not loopback).
    const tcp = await coven(home, "daemon", "restart", "--tcp", "0.0.0.0:9000");
    expect(tcp.status).toBe(1);
    expect(tcp.stderr).toContain("not restarting, the running daemon was left alone");
    expect(processAlive(first.pid)).toBe(true);
    expect((await coven(home, "daemon", "stop")).status).toBe(0);
  });
});
