import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import { EchoGuard } from "../../../server/runtime/echo-guard.js";

// Fake timers stand in for the clock only (the late-echo wait); the redaction is the real one.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const MARKER = "[REDACTED:aws_access_key_id]";

function guard() {
  const released: string[] = [];
  return { echo: new EchoGuard(new Redactor(), (text) => released.push(text)), released };
}

/** A guard whose input has just completed the trigger `AKIA`, with the harness's repaint of it held. */
function typingAkia() {
  const typing = guard();
  typing.echo.afterInput("A", "AKIA");
  expect(typing.echo.output("\r> AKIA")).toBeUndefined();
  return typing;
}

/** Types the rest of the example key and Enter, each key repainted (as `repaint` shows it). */
function finishKey(echo: EchoGuard, repaint = (line: string) => `\r> ${line}`): void {
  let line = "AKIA";
  for (const key of "IOSFODNN7EXAMPL") {
    line += key;
    echo.afterInput(key, line);
    echo.output(repaint(line));
  }
  echo.afterInput("E\r", undefined); // Enter: the word is complete
}

describe("EchoGuard", () => {
  it("passes output through while nothing secret is being typed", () => {
    const { echo, released } = guard();
    echo.afterInput("l", undefined);
    expect(echo.output("> l")).toBe("> l");
    expect(released).toEqual([]);
  });

  it("holds output while a key is typed and a moment after, then lets it go with the key's echoes masked", () => {
    const { echo, released } = typingAkia();
    finishKey(echo);
    // A repaint that comes late, split over two reads, is held and masked whole.
    expect(echo.output("\r> AKIAIOSF")).toBeUndefined();
    expect(echo.output("ODNN7EXAMPL")).toBeUndefined();
    expect(released).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(released).toHaveLength(1);
    expect(released[0]).not.toMatch(/IOSF|ODNN/);
    expect(released[0]).toContain(`\r> ${MARKER}\r> ${MARKER}`);
    expect(echo.output("$ ")).toBe("$ ");
  });

  it("still masks the first key's echoes when a second secret begins before they are out", () => {
    const { echo, released } = typingAkia();
    finishKey(echo);
    echo.afterInput("g", undefined);
    echo.afterInput("p", undefined);
    echo.afterInput("_", "ghp_"); // a second token begun within the wait
    vi.advanceTimersByTime(1000);
    expect(released).toEqual([]); // all waits for the second one
    echo.output("\r> AKIAIOSFODNN7EXAM"); // the first key, repainted late
    echo.afterInput(" ", undefined);
    vi.advanceTimersByTime(300);
    expect(released.join("")).not.toMatch(/IOSF/);
  });

  it("lets held output go unmasked when the typing turned out to be no secret", () => {
    const { echo, released } = typingAkia();
    echo.afterInput("s", undefined); // `AKIAs` can no longer be a key id
    expect(released).toEqual(["\r> AKIA"]);
    expect(echo.output("!")).toBe("!");
  });

  it("lets held output go, masked as far as typed, when the session stops or the output outgrows the hold", () => {
    const stopped = typingAkia();
    stopped.echo.afterInput("I", "AKIAI");
    stopped.echo.output("\r> AKIAI");
    stopped.echo.end();
    expect(stopped.released).toEqual(["\r> [REDACTED:typed_secret]\r> [REDACTED:typed_secret]"]);
    stopped.echo.end();
    expect(stopped.released).toHaveLength(1);

    const flooded = typingAkia();
    flooded.echo.afterInput("I", "AKIAIOS");
    flooded.echo.output(`\r> AKIAIOS${"x".repeat(1024 * 1024)}`);
    expect(flooded.released).toHaveLength(1);
    expect(flooded.released[0]).not.toContain("AKIAIOS");
  });

  it("stops holding when the input lets a begun secret out after a pause, not for ordinary input", () => {
    const { echo, released } = typingAkia();
    echo.inputReleased();
    expect(released).toEqual(["\r> [REDACTED:typed_secret]"]);
    echo.inputReleased();
    expect(echo.output("$ ")).toBe("$ ");
  });
});
