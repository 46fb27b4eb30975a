import { describe, expect, it } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import { EchoGuard } from "../../../server/runtime/echo-guard.js";

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

describe("EchoGuard", () => {
  it("passes output through while nothing secret is being typed", () => {
    const { echo, released } = guard();
    echo.afterInput("l", undefined);
    expect(echo.output("> l")).toBe("> l");
    expect(released).toEqual([]);
  });

  it("holds output while a secret is typed, then releases it with the secret's echoes masked", () => {
    const { echo, released } = typingAkia();
    for (const key of "IOSFODNN7EXAMPL") {
      echo.afterInput(key, "AKIA…");
      echo.output(key);
    }
    expect(released).toEqual([]);
    echo.afterInput("E\r", undefined); // Enter: the word is complete
    expect(released).toEqual(["\r> [REDACTED:aws_access_key_id]"]);
    // A repaint that comes a moment late is masked too.
    expect(echo.output("\r> AKIAIOSFODNN7EXAMPL")).toBe("\r> [REDACTED:aws_access_key_id]");
  });

  it("releases held output unmasked when the typing turned out to be no secret", () => {
    const { echo, released } = typingAkia();
    echo.afterInput("s", undefined); // `AKIAs` can no longer be a key id
    expect(released).toEqual(["\r> AKIA"]);
    expect(echo.output("!")).toBe("!");
  });

  it("releases what it holds when the session stops", () => {
    const { echo, released } = typingAkia();
    echo.end();
    expect(released).toEqual(["\r> AKIA"]);
    echo.end();
    expect(released).toHaveLength(1);
  });
});
