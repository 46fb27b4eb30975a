import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SocketTrustError, verifySocketTrust } from "../../src/trust.js";
import { tempDir } from "../helpers/coven.js";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(socketPath: string): Promise<void> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
}

async function home(mode = 0o700): Promise<{ covenHome: string; socketPath: string }> {
  const covenHome = path.join(tempDir(), "home");
  fs.mkdirSync(covenHome, { mode });
  fs.chmodSync(covenHome, mode);
  return { covenHome, socketPath: path.join(covenHome, "coven.sock") };
}

function reason(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SocketTrustError);
    return (error as SocketTrustError).reason;
  }
}

describe("verifySocketTrust", () => {
  it("accepts a real socket in a private home owned by this user", async () => {
    const paths = await home();
    await listen(paths.socketPath);
    expect(reason(() => verifySocketTrust(paths))).toBeUndefined();
  });

  it("reports a missing socket as the daemon not running", async () => {
    const paths = await home();
    expect(reason(() => verifySocketTrust(paths))).toBe("socket_missing");
  });

  it("refuses a missing home, a home that is a file, or one owned by someone else", async () => {
    const paths = await home();
    expect(reason(() => verifySocketTrust({ ...paths, covenHome: `${paths.covenHome}-nope` }))).toBe(
      "home_missing",
    );
    const file = path.join(paths.covenHome, "file");
    fs.writeFileSync(file, "");
    expect(
      reason(() => verifySocketTrust({ covenHome: file, socketPath: path.join(file, "coven.sock") })),
    ).toBe("home_not_directory");
    await listen(paths.socketPath);
    expect(reason(() => verifySocketTrust({ ...paths, uid: 424242 }))).toBe("home_wrong_owner");
  });

  it.each([0o770, 0o707, 0o775, 0o722])(
    "refuses a home with mode %o (writable by group or others)",
    async (mode) => {
      const paths = await home(mode);
      await listen(paths.socketPath);
      expect(reason(() => verifySocketTrust(paths))).toBe("home_writable_by_others");
    },
  );

  it("refuses a symlink to a real socket elsewhere", async () => {
    const elsewhere = await home();
    await listen(elsewhere.socketPath);
    const paths = await home();
    fs.symlinkSync(elsewhere.socketPath, paths.socketPath);
    expect(reason(() => verifySocketTrust(paths))).toBe("socket_is_symlink");
  });

  it("refuses a regular file or a directory where the socket should be", async () => {
    const paths = await home();
    fs.writeFileSync(paths.socketPath, "");
    expect(reason(() => verifySocketTrust(paths))).toBe("socket_not_socket");
    fs.rmSync(paths.socketPath);
    fs.mkdirSync(paths.socketPath);
    expect(reason(() => verifySocketTrust(paths))).toBe("socket_not_socket");
  });

  it("follows a symlinked home but still checks what it points to", async () => {
    const real = await home();
    await listen(real.socketPath);
    const link = path.join(tempDir(), "link-home");
    fs.symlinkSync(real.covenHome, link);
    expect(
      reason(() => verifySocketTrust({ covenHome: link, socketPath: path.join(link, "coven.sock") })),
    ).toBeUndefined();
    fs.chmodSync(real.covenHome, 0o777);
    expect(
      reason(() => verifySocketTrust({ covenHome: link, socketPath: path.join(link, "coven.sock") })),
    ).toBe("home_writable_by_others");
  });
});
