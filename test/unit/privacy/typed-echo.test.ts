import { describe, expect, it } from "vitest";
import { maskTypedEchoes } from "../../../server/privacy/typed-echo.js";

const KEY = { name: "aws_access_key_id", value: "AKIAIOSFODNN7EXAMPLE" };
const MARKER = "[REDACTED:aws_access_key_id]";

describe("maskTypedEchoes", () => {
  it("masks every repaint of a typed key's beginning, the longest run each time", () => {
    const repaints = ["AKI", "AKIAIO", "AKIAIOSFODNN7EXAMPLE"].map(
      (line) => `\r\x1b[2K> ${line}\x1b[7m \x1b[27m`,
    );
    expect(maskTypedEchoes(repaints.join(""), [KEY])).toBe(
      repaints.map(() => `\r\x1b[2K> ${MARKER}\x1b[7m \x1b[27m`).join(""),
    );
  });

  it("leaves text that only shares fewer characters, and escape sequences, alone", () => {
    const text = "AK \x1b[AKI is no key; AXIAIOS neither";
    expect(maskTypedEchoes(text, [KEY])).toBe(text);
    // A value too short to tell from ordinary text is not looked for.
    expect(maskTypedEchoes("xy xy", [{ name: "secret_assignment", value: "xy" }])).toBe("xy xy");
  });

  it("masks a value's echo whatever its characters (regex syntax included)", () => {
    const secret = { name: "secret_assignment", value: "a.b*c(d)[e]" };
    expect(maskTypedEchoes("password = a.b*c(", [secret])).toBe("password = [REDACTED:secret_assignment]");
    expect(maskTypedEchoes("axb*c", [secret])).toBe("axb*c");
  });
});
