import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBody } from "../../../server/http/json-body.js";

/** Fixed so CI is repeatable; set FC_SEED to explore other inputs. */
const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261126);

const bytesOf = (body: string | Buffer) => (typeof body === "string" ? Buffer.from(body) : body);

function expectSameAsStringify(value: unknown): void {
  expect(bytesOf(jsonBody(value)).equals(Buffer.from(JSON.stringify(value)))).toBe(true);
}

describe("jsonBody", () => {
  it("keeps small values one plain string", () => {
    expect(jsonBody({ ok: true, items: [1, 2, 3] })).toBe('{"ok":true,"items":[1,2,3]}');
  });

  it("builds large top-level and one-level-down arrays from buffers, byte-identical to JSON.stringify", () => {
    const event = (seq: number) => ({
      seq,
      id: `evt-${seq}`,
      payload_json: JSON.stringify({ data: `line ${seq} \u00e9\u{1F600} "quoted"\r\n` }),
    });
    const events = Array.from({ length: 1000 }, (_, index) => event(index));
    expect(Buffer.isBuffer(jsonBody(events))).toBe(true);
    expectSameAsStringify(events);
    const page = { events, skipped: undefined, nextCursor: { afterSeq: 999 }, hasMore: true };
    expect(Buffer.isBuffer(jsonBody(page))).toBe(true);
    expectSameAsStringify(page);
  });

  it("resizes slices when items are large (one slice never holds the whole page)", () => {
    const big = Array.from({ length: 200 }, (_, index) => ({ index, text: "x".repeat(16 * 1024) }));
    expectSameAsStringify({ events: big });
  });

  it("equals JSON.stringify for any JSON value (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 60, maxLength: 300 }),
          fc.record({
            items: fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 60, maxLength: 300 }),
            other: fc.option(fc.jsonValue({ maxDepth: 1 }), { nil: undefined }),
          }),
        ),
        (value) => expectSameAsStringify(value),
      ),
      { numRuns: 300, seed: PROPERTY_SEED },
    );
  });
});
