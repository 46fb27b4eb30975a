import { describe, expect, it } from "vitest";
import {
  stripBidiControls,
  stripTerminalControls,
  withoutGluedEscapes,
} from "../../../server/privacy/terminal-text.js";

describe("stripTerminalControls", () => {
  it.each([
    ["SGR colours", "\x1b[1;31merror\x1b[0m: failed", "error: failed"],
    ["256/true-colour SGR", "\x1b[38;2;255;100;0mhot\x1b[39m", "hot"],
    ["cursor movement and erase", "\x1b[2K\x1b[1Gline\x1b[10;20H\x1b[?25l", "line"],
    ["private modes", "\x1b[?1049h\x1b[?2004hhi\x1b[?1049l", "hi"],
    ["CSI with an intermediate byte", "\x1b[2 qok", "ok"],
    ["OSC title ended by BEL", "\x1b]0;my title\x07prompt$ ", "prompt$ "],
    ["OSC hyperlink ended by ST", "\x1b]8;;https://x.io\x1b\\link\x1b]8;;\x1b\\", "link"],
    ["DCS ended by ST", "a\x1bP1$r0m\x1b\\b", "ab"],
    ["APC, PM and SOS", "a\x1b_app\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd"],
    ["single-character escapes", "\x1b7saved\x1b8\x1bMup\x1b=\x1b>", "savedup"],
    ["charset designation", "\x1b(Bascii\x1b)0", "ascii"],
    ["C1 CSI and OSC", "\x9b31mred\x9b0m \x9d0;t\x9cx", "red x"],
    ["an unterminated sequence at the end", "text\x1b[38;5", "text"],
    ["an unterminated OSC at the end", "text\x1b]0;half a ti", "text"],
    ["a lone ESC at the end", "text\x1b", "text"],
  ])("removes %s", (_label, input, expected) => {
    expect(stripTerminalControls(input)).toBe(expected);
  });

  it("keeps newlines and tabs, turns CRLF into LF and drops lone CR", () => {
    expect(stripTerminalControls("a\tb\r\nc\nd\re\r\r\nf")).toBe("a\tb\nc\nde\nf");
  });

  it("drops other C0 controls, DEL and C1 controls", () => {
    expect(stripTerminalControls("a\x00b\x07c\x08d\x0be\x0cf\x7fg\x85h\x9ai\x9c")).toBe("abcdefghi");
  });

  it("leaves ordinary text, including non-ASCII, untouched", () => {
    const text = "Résumé: naïve café — 東京 🚀 [not an escape] 100% done\n";
    expect(stripTerminalControls(text)).toBe(text);
  });

  it("is linear on a long run of escape introducers", () => {
    const text = "\x1b[".repeat(100_000);
    const started = performance.now();
    expect(stripTerminalControls(text)).toBe("");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("stripBidiControls", () => {
  it("removes embeddings, overrides, isolates and marks", () => {
    const controls = [
      "\u202a",
      "\u202b",
      "\u202c",
      "\u202d",
      "\u202e",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
    ];
    const marks = ["\u200e", "\u200f", "\u061c"];
    expect(stripBidiControls(`a${controls.join("b")}c${marks.join("d")}e`)).toBe("abbbbbbbbcdde");
  });

  it("defuses a Trojan Source style line", () => {
    expect(stripBidiControls('if (access != "user\u202e \u2066// admin\u2069 \u2066")')).toBe(
      'if (access != "user // admin ")',
    );
  });

  it("keeps right-to-left text itself", () => {
    expect(stripBidiControls("שלום مرحبا")).toBe("שלום مرحبا");
  });
});

describe("withoutGluedEscapes", () => {
  it("takes out the escape sequences inside words and maps every character back", () => {
    const text = "x DB_\x1b[31mPASSWORD\x1b[0m=v \x1b[01;31m\x1b[KAK\x1b[m\x1b[KIA";
    const view = withoutGluedEscapes(text);
    expect(view?.text).toBe("x DB_PASSWORD=v \x1b[01;31m\x1b[KAKIA");
    for (let i = 0; i < (view?.text.length ?? 0); i += 1) {
      expect(text[view!.original(i)]).toBe(view!.text[i]);
    }
    expect(view!.original(view!.text.length)).toBe(text.length);
  });

  it("leaves sequences between words, at the ends, after cut-short ones and string sequences alone", () => {
    expect(withoutGluedEscapes("plain")).toBeUndefined();
    expect(withoutGluedEscapes("build \x1b[32mpassed\x1b[0m \x1b[1mok")).toBeUndefined();
    expect(withoutGluedEscapes("\x1b[1mstart end\x1b[0m")).toBeUndefined();
    expect(withoutGluedEscapes("a\x1b[3\x1b[5tb")).toBeUndefined();
    expect(withoutGluedEscapes("a\x1b]0;title\x07b")).toBeUndefined();
  });
});
