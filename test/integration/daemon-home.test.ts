import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COVEN_BIN, startDaemon, tempDir } from "../helpers/daemon.js";

function serveOnce(home: string) {
  return spawnSync(process.execPath, [COVEN_BIN, "daemon", "serve"], {
    env: { ...process.env, COVEN_HOME: home },
    encoding: "utf8",
    timeout: 10_000,
  });
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
    const daemon = await startDaemon();
    expect(await daemon.stop(signal)).toBe(0);
    expect(fs.existsSync(daemon.socket)).toBe(false);
    // The ledger survives: a second daemon on the same home opens it.
    const again = await startDaemon({ home: daemon.home });
    expect(await again.stop()).toBe(0);
  });

  it("refuses to start a second daemon on a home that is being served", async () => {
    const daemon = await startDaemon();
    const second = serveOnce(daemon.home);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("already serving");
    await daemon.stop();
  });
});
