import fs from "node:fs";
import path from "node:path";
import type { AcpRuntime } from "openclaw/plugin-sdk/acp-runtime";
import { AcpRuntimeError } from "openclaw/plugin-sdk/acp-runtime";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config.js";
import { CovenAcpRuntime } from "../../src/runtime.js";
import { type FakeDaemon, fakeHealth, startFakeDaemon, tempDir } from "../helpers/coven.js";
import { ensure } from "../helpers/turns.js";

const fakes: FakeDaemon[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fake(health = fakeHealth(), home?: string): Promise<FakeDaemon> {
  const daemon = await startFakeDaemon(health, home);
  fakes.push(daemon);
  return daemon;
}

const launches = (daemon: FakeDaemon) =>
  daemon.requests.filter(
    (request) => !request.url.startsWith("/trpc/health") && !request.url.startsWith("/api/v1/health"),
  );

async function refusal(run: () => Promise<unknown>): Promise<AcpRuntimeError> {
  const outcome = await run().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(AcpRuntimeError);
  return outcome as AcpRuntimeError;
}

describe("refused before any launch request", () => {
  it("an unknown agent id: nothing is sent at all", async () => {
    const daemon = await fake();
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: daemon.home }));
    const error = await refusal(() => ensure(runtime, "gemini", tempDir()));
    expect(error).toMatchObject({ code: "ACP_SESSION_INIT_FAILED", detailCode: "agent_not_allowed" });
    expect(error.message).toContain("claude, claude-cli, codex, codex-cli, openai-codex");
    expect(daemon.requests).toEqual([]);
  });

  it("a workspace that is not an absolute path: nothing is sent", async () => {
    const daemon = await fake();
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: daemon.home }));
    for (const cwd of ["relative/dir", "", "  "]) {
      expect(await refusal(() => ensure(runtime, "codex", cwd))).toMatchObject({
        detailCode: "cwd_required",
      });
    }
    expect(daemon.requests).toEqual([]);
  });

  it("a symlinked socket: the server behind it never hears from us", async () => {
    const daemon = await fake();
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.symlinkSync(daemon.socket, path.join(home, "coven.sock"));
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: home }));
    const error = await refusal(() => ensure(runtime, "codex", tempDir()));
    expect(error).toMatchObject({ code: "ACP_BACKEND_UNAVAILABLE", detailCode: "socket_is_symlink" });
    expect(daemon.requests).toEqual([]);
    expect(runtime.isHealthy()).toBe(false);
    expect(await runtime.doctor!()).toMatchObject({ ok: false, code: "socket_is_symlink" });
  });

  it("a home that others can write to: nothing is sent", async () => {
    const daemon = await fake();
    fs.chmodSync(daemon.home, 0o777);
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: daemon.home }));
    expect(await refusal(() => ensure(runtime, "codex", tempDir()))).toMatchObject({
      detailCode: "home_writable_by_others",
    });
    expect(daemon.requests).toEqual([]);
  });

  it("a daemon advertising a different apiVersion: only the handshake is sent", async () => {
    const daemon = await fake(fakeHealth({ apiVersion: "coven.daemon.v2" }));
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: daemon.home }));
    const error = await refusal(() => ensure(runtime, "codex", tempDir()));
    expect(error).toMatchObject({ code: "ACP_BACKEND_UNAVAILABLE", detailCode: "incompatible_daemon" });
    expect(error.message).toContain("coven.daemon.v2");
    expect(daemon.requests.length).toBeGreaterThan(0);
    expect(launches(daemon)).toEqual([]);
    expect(await runtime.doctor!()).toMatchObject({ ok: false, code: "incompatible_daemon" });
  });

  it("a daemon that is not ok, or lacks the live event stream: only the handshake is sent", async () => {
    for (const health of [
      fakeHealth({ ok: false }),
      fakeHealth({ capabilities: { ...(fakeHealth().capabilities as object), liveEventStream: false } }),
      fakeHealth({ capabilities: { ...(fakeHealth().capabilities as object), sessionLaunch: false } }),
    ]) {
      const daemon = await fake(health);
      const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: daemon.home }));
      expect(await refusal(() => ensure(runtime, "codex", tempDir()))).toMatchObject({
        detailCode: "incompatible_daemon",
      });
      expect(launches(daemon)).toEqual([]);
    }
  });
});

describe("fallback", () => {
  function recordingFallback() {
    const calls: string[] = [];
    const runtime = {
      ensureSession: async (input: { sessionKey: string }) => {
        calls.push("ensureSession");
        return { sessionKey: input.sessionKey, backend: "acpx", runtimeSessionName: "acpx:1" };
      },
      runTurn: async function* () {
        calls.push("runTurn");
        yield { type: "text_delta" as const, text: "from acpx" };
        yield { type: "done" as const };
      },
      cancel: async () => {
        calls.push("cancel");
      },
      close: async () => {
        calls.push("close");
      },
    } as unknown as AcpRuntime;
    return { runtime, calls };
  }

  it("is off by default: no daemon means ACP_BACKEND_UNAVAILABLE", async () => {
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    const { runtime: acpx, calls } = recordingFallback();
    const runtime = new CovenAcpRuntime(resolveConfig({ covenHome: home }), {
      resolveFallback: () => ({ runtime: acpx }),
    });
    expect(await refusal(() => ensure(runtime, "codex", tempDir()))).toMatchObject({
      detailCode: "daemon_not_running",
    });
    expect(calls).toEqual([]);
    expect(runtime.isHealthy()).toBe(false);
  });

  it("when allowed, hands a session to the fallback backend only because no daemon is running", async () => {
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    const { runtime: acpx, calls } = recordingFallback();
    const config = resolveConfig({ covenHome: home, allowFallback: true, fallbackBackend: "acpx" });
    const runtime = new CovenAcpRuntime(config, {
      resolveFallback: (id) => (id === "acpx" ? { runtime: acpx } : null),
    });
    expect(runtime.isHealthy()).toBe(true);
    const handle = await ensure(runtime, "codex", tempDir());
    expect(handle.backend).toBe("acpx");
    const turn = runtime.startTurn!({ handle, text: "hi", mode: "prompt", requestId: "r1" });
    const texts = [];
    for await (const event of turn.events) texts.push(event);
    expect(texts).toEqual([{ type: "text_delta", text: "from acpx" }]);
    expect(await turn.result).toMatchObject({ status: "completed" });
    await runtime.close({ handle, reason: "done" });
    expect(calls).toEqual(["ensureSession", "runTurn", "close"]);
  });

  it("never covers a socket that fails the trust checks, or an incompatible daemon", async () => {
    const { runtime: acpx, calls } = recordingFallback();
    const options = { resolveFallback: () => ({ runtime: acpx }) };
    const incompatible = await fake(fakeHealth({ apiVersion: "coven.daemon.v0" }));
    const viaIncompatible = new CovenAcpRuntime(
      resolveConfig({ covenHome: incompatible.home, allowFallback: true, fallbackBackend: "acpx" }),
      options,
    );
    expect(await refusal(() => ensure(viaIncompatible, "codex", tempDir()))).toMatchObject({
      detailCode: "incompatible_daemon",
    });
    const real = await fake();
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.symlinkSync(real.socket, path.join(home, "coven.sock"));
    const viaSymlink = new CovenAcpRuntime(
      resolveConfig({ covenHome: home, allowFallback: true, fallbackBackend: "acpx" }),
      options,
    );
    expect(await refusal(() => ensure(viaSymlink, "codex", tempDir()))).toMatchObject({
      detailCode: "socket_is_symlink",
    });
    expect(viaSymlink.isHealthy()).toBe(false);
    expect(calls).toEqual([]);
  });
});
