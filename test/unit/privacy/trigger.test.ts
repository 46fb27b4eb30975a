import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_PATTERNS, BUILTIN_TRIGGER } from "../../../server/privacy/patterns.js";
import { mergedAlternation, topLevelAlternatives } from "../../../server/privacy/trigger.js";

/** Fixed so CI is repeatable; set FC_SEED to explore other inputs. */
const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261126);

/** The plain form the merged trigger must be equivalent to. */
const FLAT_TRIGGER = new RegExp(BUILTIN_PATTERNS.map((pattern) => `(?:${pattern.trigger})`).join("|"), "i");

describe("topLevelAlternatives", () => {
  it("splits only at top-level bars", () => {
    expect(topLevelAlternatives("ab|c(d|e)|[|x]f|g\\|h")).toEqual(["ab", "c(d|e)", "[|x]f", "g\\|h"]);
    expect(topLevelAlternatives("single")).toEqual(["single"]);
  });
});

describe("mergedAlternation", () => {
  it("merges alternatives by first letter, expands letter classes, keeps the rest whole", () => {
    const merged = mergedAlternation(["sk-|secret", "[sr]k_", "s?x", "://"]);
    expect(merged.source).toBe("s(?:k-|ecret|k_)|r(?:k_)|(?:s?x)|(?::\\/\\/)");
    expect(merged.flags).toBe("i");
  });

  it("finds every built-in trigger spelled in any case", () => {
    for (const sample of [
      "sk-ant-x",
      "SECRET",
      "ghp_",
      "github_pat_",
      "GLPAT-",
      "xox",
      "rk_",
      "AIza",
      "ASIA",
    ]) {
      expect(BUILTIN_TRIGGER.test(`-- ${sample} --`), sample).toBe(true);
    }
    for (const sample of ["eyJ", "Bearer", "BEARER", "scheme://", "passwd", "Private-Key", "authorization"]) {
      expect(BUILTIN_TRIGGER.test(`-- ${sample} --`), sample).toBe(true);
    }
    expect(BUILTIN_TRIGGER.test("plain terminal output, nothing to see\r\n")).toBe(false);
  });

  it("accepts exactly the texts the plain alternation accepts (property)", () => {
    const fragments = [
      "sk",
      "-",
      "_",
      "k",
      "ant",
      "gh",
      "p",
      "ithub",
      "pat",
      "gl",
      "xo",
      "x",
      "r",
      "AI",
      "za",
      "AK",
      "IA",
      "aws",
      "secret",
      "access",
      "key",
      "ey",
      "J",
      "Bear",
      "er",
      ":",
      "/",
      "passw",
      "or",
      "d",
      "tok",
      "en",
      "api",
      "private",
      "author",
      "ization",
      "-----",
      "BEGIN",
      " ",
      "\n",
      "Z",
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fragments), { maxLength: 12 }),
        fc.boolean(),
        (parts, upper) => {
          const text = upper ? parts.join("").toUpperCase() : parts.join("");
          expect(BUILTIN_TRIGGER.test(text)).toBe(FLAT_TRIGGER.test(text));
        },
      ),
      { numRuns: 5000, seed: PROPERTY_SEED },
    );
  });
});
