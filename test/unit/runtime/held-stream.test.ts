import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import { StreamRedactor } from "../../../server/privacy/stream-redactor.js";
import { HeldStream } from "../../../server/runtime/held-stream.js";

// Fake timers stand in for the clock only; the redaction is the real one.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function heldStream() {
  const released: string[] = [];
  const stream = new HeldStream(
    new StreamRedactor(new Redactor()),
    { idleMs: 40, secretIdleMs: 1000 },
    (text) => released.push(text),
  );
  return { stream, released };
}

describe("HeldStream", () => {
  it("gives complete words at once and an unfinished last word after the short quiet period", () => {
    const { stream, released } = heldStream();
    expect(stream.push("ping\r")).toBe("ping\r");
    expect(stream.push("pi")).toBe("");
    vi.advanceTimersByTime(39);
    expect(released).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(released).toEqual(["pi"]);
  });

  it("waits longer once the word could begin a secret, even typed a key at a time at a person's pace", () => {
    const { stream, released } = heldStream();
    // Each keystroke of `AKI` is an ordinary last word, out after 40 ms; the fourth completes the trigger.
    for (const key of "AKIAIOSF") {
      expect(stream.push(key)).toBe("");
      vi.advanceTimersByTime(200);
    }
    expect(released).toEqual(["A", "K", "I"]);
    // The rest waits while keys keep coming within the longer wait, and is replaced as a whole.
    expect(stream.push("ODNN7EXAMPLE ")).toBe("[REDACTED:aws_access_key_id] ");
    vi.advanceTimersByTime(2000);
    expect(released).toEqual(["A", "K", "I"]);
  });

  it("lets ordinary words that contain a trigger out after the short wait, typed at a person's pace", () => {
    const { stream, released } = heldStream();
    const line = "cd ~/work_dir/task_list; echo Asia tokenizer";
    for (const key of line) {
      released.push(stream.push(key));
      vi.advanceTimersByTime(40);
    }
    expect(released.join("")).toBe(line);
  });

  it("releases what it holds on demand, without a later idle release", () => {
    const { stream, released } = heldStream();
    stream.push("xyz");
    expect(stream.release()).toBe("xyz");
    vi.advanceTimersByTime(2000);
    expect(released).toEqual([]);
    expect(stream.release()).toBe("");
  });
});
