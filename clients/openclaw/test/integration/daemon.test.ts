import { AcpRuntimeError, type AcpRuntimeTurn } from "openclaw/plugin-sdk/acp-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CovenClient } from "../../../core/index.js";
import { resolveConfig } from "../../src/config.js";
import { CovenAcpRuntime } from "../../src/runtime.js";
import {
  type PluginHarnessKit,
  pluginHarnessKit,
  type RunningDaemon,
  startCovenDaemon,
  waitFor,
} from "../helpers/coven.js";
import { type CollectedTurn, collect, ensure, turnInput } from "../helpers/turns.js";

let kit: PluginHarnessKit;
let daemon: RunningDaemon;
let runtime: CovenAcpRuntime;
let client: CovenClient;

beforeAll(async () => {
  kit = pluginHarnessKit();
  daemon = await startCovenDaemon(kit);
  const config = resolveConfig({
    covenHome: daemon.home,
    harnesses: {
      fake: "fake-echo",
      failing: "fake-fail",
      stubborn: "fake-stubborn",
      lines: "fake-lines",
      ansi: "fake-ansi",
      ghost: "no-such-harness",
    },
  });
  runtime = new CovenAcpRuntime(config);
  client = new CovenClient({ home: daemon.home });
});

afterAll(async () => {
  runtime?.dispose();
  client?.close();
  await daemon?.stop();
});

describe("turns against a real Coven daemon", () => {
  it("streams a full turn's text deltas in order and ends completed", async () => {
    const handle = await ensure(runtime, "fake", kit.projectRoot);
    expect(handle).toMatchObject({ backend: "coven", cwd: kit.projectRoot });
    const turn = runtime.startTurn!(turnInput(handle, "quick"));
    const { events, text, result } = await collect(turn);
    expect(result).toEqual({ status: "completed", stopReason: "end_turn" });
    expect(text).toContain("hello from fake-echo\n");
    expect(text).toContain('argv=["--mode=batch","--","quick"]');
    expect(text.indexOf("hello from fake-echo")).toBeLessThan(text.indexOf("argv="));
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    // Lifecycle first, then output, then the exit status.
    expect(events[0]).toMatchObject({
      type: "status",
      text: expect.stringMatching(/^coven: fake-echo started \(pid \d+\)$/),
    });
    expect(events.at(-1)).toMatchObject({ type: "status", text: "coven: session completed (exit code 0)" });
    await turn.promptStarted;
    const status = await runtime.getStatus({ handle });
    expect(status.summary).toMatch(/: completed, exit code 0$/);
    expect(status.backendSessionId).toBe(handle.backendSessionId);
    expect((await client.getSession(status.backendSessionId!)).status).toBe("completed");
  });

  it("keeps many lines in order, across event coalescing", async () => {
    const handle = await ensure(runtime, "lines", kit.projectRoot);
    const { text, result } = await collect(runtime.startTurn!(turnInput(handle, "60")));
    expect(result.status).toBe("completed");
    const expected = Array.from({ length: 60 }, (_, i) => `line ${i + 1}\n`).join("");
    expect(text).toBe(expected);
  });

  it("strips colours, titles and bidi controls, even an escape sequence split across PTY writes", async () => {
    const handle = await ensure(runtime, "ansi", kit.projectRoot);
    const { text, result } = await collect(runtime.startTurn!(turnInput(handle, "go")));
    expect(result.status).toBe("completed");
    expect(text).toBe("green plain\nabcevil def red end\n");
  });

  it("ends a failing harness's turn with an error carrying its exit code", async () => {
    const handle = await ensure(runtime, "failing", kit.projectRoot);
    const { text, result } = await collect(runtime.startTurn!(turnInput(handle, "go")));
    expect(text).toContain("about to fail");
    expect(result).toEqual({
      status: "failed",
      error: expect.objectContaining({
        code: "ACP_TURN_FAILED",
        detailCode: "exit_code:7",
        message: expect.stringContaining("exit code 7"),
      }),
    });
  });

  it("reports the failure through the legacy runTurn stream too", async () => {
    const handle = await ensure(runtime, "failing", kit.projectRoot);
    const events = [];
    for await (const event of runtime.runTurn(turnInput(handle, "go"))) events.push(event);
    expect(events.at(-1)).toMatchObject({
      type: "error",
      code: "ACP_TURN_FAILED",
      detailCode: "exit_code:7",
    });
    const ok = await ensure(runtime, "fake", kit.projectRoot);
    const done = [];
    for await (const event of runtime.runTurn(turnInput(ok, "quick"))) done.push(event);
    expect(done.at(-1)).toEqual({ type: "done", status: "completed", stopReason: "end_turn" });
  });

  /**
   * Starts collecting a stubborn turn and returns once the harness has printed that it is ready: from then on it
   * ignores SIGTERM, so only the daemon's SIGKILL escalation can end it.
   */
  async function collectOnceReady(turn: AcpRuntimeTurn): Promise<{ collected: Promise<CollectedTurn> }> {
    let ready = false;
    const collected = collect(turn, (event) => {
      if (event.type === "text_delta" && event.text.includes("stubborn ready")) ready = true;
    });
    await waitFor(() => ready, "the stubborn harness to start");
    return { collected }; // wrapped: an async function would otherwise wait for the whole turn
  }

  it("cancel kills the session: the daemon shows it killed and the turn ends cancelled", async () => {
    const handle = await ensure(runtime, "stubborn", kit.projectRoot);
    const turn = runtime.startTurn!(turnInput(handle, "go"));
    const { collected } = await collectOnceReady(turn);
    await runtime.cancel({ handle, reason: "test" });
    const { result } = await collected;
    expect(result).toEqual({ status: "cancelled", stopReason: "cancelled" });
    const record = await client.getSession(handle.backendSessionId!);
    expect(record.status).toBe("killed");
    expect((await runtime.getStatus({ handle })).summary).toMatch(/: killed/);
  });

  it("an aborted turn signal kills the session too", async () => {
    const handle = await ensure(runtime, "stubborn", kit.projectRoot);
    const abort = new AbortController();
    const turn = runtime.startTurn!(turnInput(handle, "go", abort.signal));
    const { collected } = await collectOnceReady(turn);
    abort.abort();
    const { result } = await collected;
    expect(result.status).toBe("cancelled");
    expect((await client.getSession(handle.backendSessionId!)).status).toBe("killed");
  });

  it("turns a daemon refusal into an AcpRuntimeError that keeps the contract code", async () => {
    const handle = await ensure(runtime, "fake", `${kit.projectRoot}/does-not-exist`);
    const turn = runtime.startTurn!(turnInput(handle, "quick"));
    const outcome = await collect(turn).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(AcpRuntimeError);
    expect(outcome).toMatchObject({ code: "ACP_TURN_FAILED", detailCode: "invalid_request" });
    const ghost = await ensure(runtime, "ghost", kit.projectRoot);
    await expect(collect(runtime.startTurn!(turnInput(ghost, "x")))).rejects.toMatchObject({
      detailCode: "invalid_request",
    });
  });

  it("refuses an oversized prompt before launching", async () => {
    const small = new CovenAcpRuntime(
      resolveConfig({ covenHome: daemon.home, harnesses: { fake: "fake-echo" }, maxPromptBytes: 16 }),
    );
    const handle = await ensure(small, "fake", kit.projectRoot);
    const before = (await client.listSessions({ limit: 1000 })).sessions.length;
    await expect(collect(small.startTurn!(turnInput(handle, "x".repeat(17))))).rejects.toMatchObject({
      code: "ACP_INVALID_RUNTIME_OPTION",
      detailCode: "prompt_too_large",
    });
    expect((await client.listSessions({ limit: 1000 })).sessions.length).toBe(before);
    small.dispose();
  });

  it("doctor reports reachability, apiVersion and harness availability", async () => {
    const report = await runtime.doctor!();
    expect(report.ok).toBe(true);
    expect(report.details).toEqual(
      expect.arrayContaining([
        expect.stringContaining("apiVersion: coven.daemon.v1"),
        "harness fake-echo (agents fake): available",
        expect.stringMatching(/^harness codex \(agents codex, codex-cli, openai-codex\): /),
        "harness no-such-harness (agents ghost): unknown to the daemon",
      ]),
    );
    expect(runtime.isHealthy()).toBe(true);
  });
});
