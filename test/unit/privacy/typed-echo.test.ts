import { describe, expect, it } from "vitest";
import { maskTypedEchoes } from "../../../server/privacy/typed-echo.js";

const KEY = { name: "aws_access_key_id", value: "AKIAIOSFODNN7EXAMPLE" };
const MARKER = "[REDACTED:aws_access_key_id]";
const repaint = (line: string) => `\r\x1b[2K> ${line}\x1b[7m \x1b[27m`;

describe("maskTypedEchoes", () => {
  it("masks every repaint of a typed key from its fourth character on, the longest run each time", () => {
    const lines = ["AKI", "AKIA", "AKIAIO", "AKIAIOSFODNN7EXAMPLE"];
    expect(maskTypedEchoes(lines.map(repaint).join(""), [KEY])).toBe(
      [repaint("AKI"), repaint(MARKER), repaint(MARKER), repaint(MARKER)].join(""),
    );
  });

  it("masks a key that a renderer writes a cell at a time, keeping its cursor moves", () => {
    const cells = Array.from("AKIAIOSF", (char, i) => `\x1b[5;${i + 3}H${char}`).join("");
    const laterMoves = Array.from({ length: 7 }, (_, i) => `\x1b[5;${i + 4}H`).join("");
    expect(maskTypedEchoes(cells, [KEY])).toBe(`\x1b[5;3H${MARKER}${laterMoves}`);
  });

  it("leaves words that merely share a beginning, not at a word start or shorter than four characters, alone", () => {
    const key = { name: "openai_api_key", value: "sk-proj-Xq7vB2mK9pL4nR8sT1wY6zA3" };
    const text = "npm run task-list; desk-top; risk-free; sk-p";
    expect(maskTypedEchoes(text, [key])).toBe(
      "npm run task-list; desk-top; risk-free; [REDACTED:openai_api_key]",
    );
    const password = { name: "secret_assignment", value: "theSecret9" };
    expect(maskTypedEchoes("the other thing: then there", [password])).toBe("the other thing: then there");
  });

  it("masks several typed secrets in one pass, never inside a marker", () => {
    const password = { name: "secret_assignment", value: "REDhot99" };
    expect(maskTypedEchoes("> AKIAIOSFOD and REDhot", [KEY, password])).toBe(
      `> ${MARKER} and [REDACTED:secret_assignment]`,
    );
  });

  it("masks a value's echo whatever its characters (regex syntax included), and only its own", () => {
    const secret = { name: "secret_assignment", value: "a.b*c(d)[e]" };
    expect(maskTypedEchoes("password = a.b*c(", [secret])).toBe("password = [REDACTED:secret_assignment]");
    expect(maskTypedEchoes("axb*c(", [secret])).toBe("axb*c(");
  });

  it("masks the echo of a very long typed value without building a pattern too deep to compile", () => {
    // 4,096 nested characters made V8's regex compiler abort the process.
    const value = `k${"Qx7".repeat(2000)}`;
    const echo = `> ${value.slice(0, 5000)} ok`;
    expect(maskTypedEchoes(echo, [{ name: "typed_secret", value }])).toBe("> [REDACTED:typed_secret] ok");
    expect(maskTypedEchoes(`> ${value.slice(0, 100)} ok`, [{ name: "typed_secret", value }])).toBe(
      "> [REDACTED:typed_secret] ok",
    );
  });

  it("stays linear on text that repeats a value's beginning", () => {
    const started = performance.now();
    maskTypedEchoes("12".repeat(64 * 1024), [{ name: "secret_assignment", value: "1299xyz" }]);
    maskTypedEchoes(`${"\x1b[".repeat(32 * 1024)}1`, [{ name: "secret_assignment", value: "1299xyz" }]);
    // A complexity check, not a speed target: a quadratic scan of this text takes seconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
