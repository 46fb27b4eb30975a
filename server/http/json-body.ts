/**
 * JSON response bodies, byte for byte what `JSON.stringify` gives, built so that no single V8 string gets large.
 *
 * Why: a string over ~128 KiB lives in V8's large-object space, and every step fastify takes with one (measuring
 * it for content-length, encoding it onto the socket) costs about 1 ms per 240 KB here — four times what
 * serializing the same page in slices costs. A page of 1,000 events is such a body. Large arrays, at the top or
 * one level down (`{ events: [...] }`), are therefore serialized a slice at a time straight into buffers;
 * everything else stays one plain `JSON.stringify`.
 */

/** Arrays longer than this are serialized in slices. */
const SLICED_ARRAY_LENGTH = 64;
/** Bytes a slice aims at: well under the large-object threshold, large enough to keep per-slice costs low. */
const SLICE_TARGET_BYTES = 32 * 1024;
const INITIAL_SLICE_LENGTH = 100;

const OPEN_BRACKET = Buffer.from("[");
const CLOSE_BRACKET = Buffer.from("]");
const OPEN_BRACE = Buffer.from("{");
const CLOSE_BRACE = Buffer.from("}");
const COMMA = Buffer.from(",");

const isLargeArray = (value: unknown): value is unknown[] =>
  Array.isArray(value) && value.length > SLICED_ARRAY_LENGTH;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && !("toJSON" in value);
}

/** `[a,b,…]` as buffers, each slice sized from the last one so slices stay near SLICE_TARGET_BYTES. */
function pushArray(parts: Buffer[], array: unknown[]): void {
  parts.push(OPEN_BRACKET);
  let sliceLength = INITIAL_SLICE_LENGTH;
  for (let start = 0; start < array.length; ) {
    const end = Math.min(array.length, start + sliceLength);
    const slice = Buffer.from(JSON.stringify(array.slice(start, end)));
    if (start > 0) parts.push(COMMA);
    parts.push(slice.subarray(1, slice.length - 1));
    const bytesPerItem = slice.length / (end - start);
    sliceLength = Math.max(1, Math.floor(SLICE_TARGET_BYTES / bytesPerItem));
    start = end;
  }
  parts.push(CLOSE_BRACKET);
}

/** The body of a JSON response: a string when small, else a buffer assembled from slices. */
export function jsonBody(value: unknown): string | Buffer {
  if (isLargeArray(value)) {
    const parts: Buffer[] = [];
    pushArray(parts, value);
    return Buffer.concat(parts);
  }
  if (!isPlainObject(value) || !Object.values(value).some(isLargeArray)) return JSON.stringify(value);
  const parts: Buffer[] = [OPEN_BRACE];
  let first = true;
  for (const [key, field] of Object.entries(value)) {
    // The fields JSON.stringify leaves out of an object.
    if (field === undefined || typeof field === "function" || typeof field === "symbol") continue;
    if (!first) parts.push(COMMA);
    first = false;
    parts.push(Buffer.from(`${JSON.stringify(key)}:`));
    if (isLargeArray(field)) pushArray(parts, field);
    else parts.push(Buffer.from(JSON.stringify(field)));
  }
  parts.push(CLOSE_BRACE);
  return Buffer.concat(parts);
}
