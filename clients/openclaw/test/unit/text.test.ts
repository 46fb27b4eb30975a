import { describe, expect, it } from "vitest";
import { stripBidiControls, stripTerminalControls, TerminalTextStream, toChatText } from "../../src/text.js";

describe("chat text", () => {
  it("removes colours, cursor moves, titles, hyperlinks and stray controls; keeps tabs and newlines", () => {
    expect(stripTerminalControls("\x1b[1;31mred\x1b[0m\tok\r\nnext\x07\x08")).toBe("red\tok\nnext");
    expect(stripTerminalControls("\x1b]0;title\x07a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b")).toBe(
      "alinkb",
    );
    expect(stripTerminalControls("\x1bPq#0;2;0;0;0\x1b\\x\x1b(By\x1b[?25l")).toBe("xy");
    expect(stripTerminalControls("progress 10%\rprogress 20%\n")).toBe("progress 10%progress 20%\n");
  });

  it("removes bidi overrides, isolates and marks", () => {
    expect(stripBidiControls("a\u202eb\u202cc\u2066d\u2069\u200ee\u200f\u061c")).toBe("abcde");
    expect(toChatText("\x1b[31m\u202ehi\x1b[0m")).toBe("hi");
  });
});

describe("TerminalTextStream", () => {
  it("holds back an escape sequence split across chunks", () => {
    const stream = new TerminalTextStream();
    expect(stream.push("abc \x1b[3")).toBe("abc ");
    expect(stream.push("1mred\x1b[0m end")).toBe("red end");
    expect(stream.flush()).toBe("");
  });

  it("holds back a lone ESC, an unfinished OSC and a trailing CR", () => {
    const stream = new TerminalTextStream();
    expect(stream.push("x\x1b")).toBe("x");
    expect(stream.push("[2Ky\x1b]0;ti")).toBe("y");
    expect(stream.push("tle\x07z\r")).toBe("z");
    expect(stream.push("\nw")).toBe("\nw");
  });

  it("yields everything when chunks end cleanly, and flushes a dangling tail", () => {
    const stream = new TerminalTextStream();
    expect(stream.push("one\n")).toBe("one\n");
    expect(stream.push("\x1b[0mtwo")).toBe("two");
    expect(stream.push("three \x1b[")).toBe("three ");
    expect(stream.flush()).toBe("");
  });

  it("gives up holding a tail longer than any real escape sequence", () => {
    const stream = new TerminalTextStream();
    const long = `\x1b]0;${"t".repeat(5000)}`;
    expect(stream.push(`${long}`)).toBe("");
    expect(stream.push("visible")).toBe("visible");
  });
});
