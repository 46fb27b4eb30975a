import { describe, expect, it } from "vitest";
import { BUILTIN_PATTERNS } from "../../../server/privacy/patterns.js";
import { Redactor } from "../../../server/privacy/redactor.js";
import { StreamRedactor } from "../../../server/privacy/stream-redactor.js";

/**
 * Inputs built to make a careless pattern backtrack: long runs that almost match. At this size a quadratic
 * pattern takes minutes; a linear one takes milliseconds. The bound is loose so slow machines pass.
 */
const SIZE = 100_000;
const HOSTILE: Record<string, string> = {
  letters: "a".repeat(SIZE),
  digits: "1".repeat(SIZE),
  spaces: `password${" ".repeat(SIZE)}x`,
  tabsAfterBearer: `Bearer${"\t".repeat(SIZE)}`,
  alnumRun: "aB3".repeat(SIZE / 3),
  openaiPrefixes: "sk-".repeat(SIZE / 3),
  jwtPrefixes: "eyJ".repeat(SIZE / 3),
  jwtSegments: "eyJaaaaa.".repeat(SIZE / 9),
  bearerWords: "Bearer ".repeat(SIZE / 7),
  keywords: "password".repeat(SIZE / 8),
  assignments: "password= ".repeat(SIZE / 10),
  openQuotes: 'password="'.repeat(SIZE / 10),
  pemHeaders: "-----BEGIN RSA PRIVATE KEY-----\n".repeat(SIZE / 32),
  pemBody: `-----BEGIN RSA PRIVATE KEY-----${"\nAAAA".repeat(SIZE / 5)}`,
  pemLabelWords: `-----BEGIN ${"A ".repeat(SIZE / 2)}`,
  urlSchemes: "https://".repeat(SIZE / 8),
  urlColons: `https://a:${"b:".repeat(SIZE / 2)}`,
  schemeChars: "a+.-".repeat(SIZE / 4),
  escapeIntroducers: "\x1b[".repeat(SIZE / 2),
  escapeParameters: `\x1b[${"1;".repeat(SIZE / 2)}`,
  escapeIntermediates: `\x1b[${" ".repeat(SIZE)}`,
  // Colour codes inside words, read through as on screen.
  gluedEscapes: "a\x1b[1m".repeat(SIZE / 5),
  gluedAssignments: "password\x1b[1m=\x1b[0mx".repeat(SIZE / 18),
  gluedKeyHalves: "AKIA\x1b[m\x1b[KIOSF".repeat(SIZE / 17),
  // A colour code cut short before a value: its digits must not also be tried as the value's.
  bearerPartialColour: `Bearer \x1b[${"1".repeat(SIZE)}!`,
  assignmentPartialColour: `password=\x1b[${"1".repeat(SIZE)}'`,
  keyColourRun: `password${"\x1b[1m ".repeat(SIZE / 5)}!`,
  // Values that run into the next key: the scan must not restart inside each one.
  valuesIntoKeys: "password=a".repeat(SIZE / 10),
  colonValuesIntoKeys: "password:a".repeat(SIZE / 10),
  chainedAssignments: "token = x1 ".repeat(SIZE / 11),
  awsPrefixes: "AKIA".repeat(SIZE / 4),
  githubPrefixes: "ghp_".repeat(SIZE / 4),
};

const BOUND_MS = 1500;

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe("patterns stay linear on hostile input", () => {
  const redactor = new Redactor();

  it.each(Object.entries(HOSTILE))("%s", (_name, text) => {
    for (const pattern of BUILTIN_PATTERNS) {
      const regex = new RegExp(pattern.regex.source, pattern.regex.flags);
      expect(
        timed(() => text.replace(regex, "")),
        pattern.name,
      ).toBeLessThan(BOUND_MS);
      for (const [kind, tail] of [
        ["unfinished", pattern.unfinished],
        ["partial", pattern.partial],
      ] as const) {
        if (tail === undefined) continue;
        expect(
          timed(() => tail.exec(text)),
          `${pattern.name} (${kind})`,
        ).toBeLessThan(BOUND_MS);
      }
    }
    expect(
      timed(() => redactor.redact(text)),
      "redact",
    ).toBeLessThan(BOUND_MS);
    expect(
      timed(() => {
        const stream = new StreamRedactor(redactor);
        for (let i = 0; i < text.length; i += 1000) stream.push(text.slice(i, i + 1000));
        stream.flush();
      }),
      "stream",
    ).toBeLessThan(BOUND_MS);
  });
});
