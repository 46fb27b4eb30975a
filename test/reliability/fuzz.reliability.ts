import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../contract/errors.js";
import { restRoutes } from "../../server/http/rest-adapter.js";
import { RestClient } from "../helpers/api.js";
import { startDaemon, type TestDaemon, waitFor } from "../helpers/daemon.js";
import { assertDocumentedResponse, openApiDocument } from "../helpers/openapi-validator.js";
import { chattyPrompt, type ReliabilityKit, reliabilityKit, removeTempDirs } from "./support/harnesses.js";
import { pool, type RawResponse, rawRequest } from "./support/http.js";
import { allEvents, killHarnesses, sessionDigests, withLedger } from "./support/ledger.js";
import { suiteSeed } from "./support/random.js";

/**
 * Bad input: every REST route of the OpenAPI document and every tRPC procedure is sent random and adversarial
 * requests (wrong types, huge strings, deep nesting, invalid UTF-8, path tricks, bogus cursors and ids). The
 * daemon must stay up, answer every failure with the contract's envelope and a status that matches its code,
 * never answer 5xx, and change nothing in the ledger for a request it rejected.
 *
 * Rejected-only accounting: a few seeded "sentinel" sessions are targeted only by requests that must be
 * refused (or are no-ops); their rows and events must be byte for byte the same afterwards. Other real sessions
 * may be changed by accepted requests; each accepted mutation names what it touched, and everything it did not
 * touch must be unchanged too. New rows may come only from accepted launches and registrations.
 */

const REQUESTS = Number(process.env.RELIABILITY_FUZZ_REQUESTS ?? 10_000);
const BATCH = 50;
const CONCURRENCY = 8;
const seed = suiteSeed();

type Json = unknown;
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
}
interface Field {
  name: string;
  where: "path" | "query" | "body";
  schema: JsonSchema;
}
interface Route {
  method: "GET" | "POST";
  template: string;
  operationId: string;
  procedure: string;
  procedureType: "query" | "mutation" | "subscription";
  fields: Field[];
  stream: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// The route table, from the committed OpenAPI document (and, for /trpc, the procedure each operation calls).
// ---------------------------------------------------------------------------------------------------------

const document = openApiDocument as unknown as {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        parameters?: { in: string; name: string; schema: JsonSchema }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
};

function resolve(schema: JsonSchema | undefined): JsonSchema {
  let current = schema ?? {};
  for (let depth = 0; current.$ref && depth < 8; depth += 1) {
    current = document.components.schemas[current.$ref.replace("#/components/schemas/", "")] ?? {};
  }
  return current;
}

const procedureByOperation = new Map(
  restRoutes().map((route) => [
    route.face.operationId,
    {
      procedure: route.procedurePath,
      type: (route.procedure._def as unknown as { type: Route["procedureType"] }).type,
      stream: route.meta.eventStream === true,
    },
  ]),
);

const ROUTES: Route[] = Object.entries(document.paths).flatMap(([template, operations]) =>
  Object.entries(operations).map(([method, operation]) => {
    const body = resolve(operation.requestBody?.content["application/json"]?.schema);
    const known = procedureByOperation.get(operation.operationId);
    const fields: Field[] = [
      ...(operation.parameters ?? []).map((parameter) => ({
        name: parameter.name,
        where: parameter.in as Field["where"],
        schema: parameter.schema,
      })),
      ...Object.entries(body.properties ?? {}).map(([name, schema]) => ({
        name,
        where: "body" as const,
        schema: resolve(schema),
      })),
    ];
    return {
      method: method.toUpperCase() as Route["method"],
      template,
      operationId: operation.operationId,
      procedure: known?.procedure ?? "",
      procedureType: known?.type ?? "query",
      fields,
      stream: known?.stream ?? false,
    };
  }),
);
const PROCEDURES = [...new Map(ROUTES.filter((r) => r.procedure).map((r) => [r.procedure, r])).values()];

// ---------------------------------------------------------------------------------------------------------
// The seeded ledger: sentinels (must never change) and mutable sessions (may change, with accounting).
// ---------------------------------------------------------------------------------------------------------

type SentinelKind = "live" | "completed" | "archived" | "extRunning" | "extDone";

/**
 * For each mutating procedure, the sentinel kinds a schema-valid request may target because the daemon must
 * refuse it (or it is a no-op that changes no row); any other sentinel target gets an input that is invalid
 * by construction. `resize` never writes the ledger.
 */
const VALID_ALLOWED: Record<string, SentinelKind[]> = {
  "sessions.input": ["completed", "archived", "extRunning", "extDone"],
  "sessions.kill": ["completed", "archived", "extRunning", "extDone"],
  "sessions.resize": ["live", "completed", "archived", "extRunning", "extDone"],
  "sessions.complete": ["live", "completed", "archived", "extDone"],
  "sessions.archive": ["live", "archived"],
  "sessions.summon": ["live", "completed", "extRunning", "extDone"],
  "sessions.sacrifice": ["live"],
  "sessions.registerExternal": ["live", "completed", "archived", "extRunning", "extDone"],
};

interface Seeded {
  sentinels: Map<string, SentinelKind>;
  mutable: string[];
  eventIds: string[];
  cursor: string;
  maxSeq: number;
}

let kit: ReliabilityKit;
let daemon: TestDaemon;
let api: RestClient;
let seeded: Seeded;

async function launch(harness: string, prompt: string): Promise<string> {
  const response = await api.post<{ id: string }>("/api/v1/sessions", {
    projectRoot: kit.projectRoot,
    harness,
    prompt,
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function waitTerminal(id: string): Promise<void> {
  await waitFor(
    async () =>
      ["completed", "failed"].includes(
        (await api.get<{ status: string }>(`/api/v1/sessions/${id}`)).body.status,
      ),
    `${id} to finish`,
  );
}

async function seedLedger(): Promise<Seeded> {
  const quick = chattyPrompt({ lineBytes: 40, linesPerTick: 5, tickMs: 5, durationMs: 50 });
  const live = await launch("rel-quiet", "");
  const completed = await launch("rel-chatty", quick);
  const archived = await launch("rel-chatty", quick);
  const mutableCompleted = await launch("rel-chatty", quick);
  const mutableArchived = await launch("rel-chatty", quick);
  const mutableFailed = await launch("rel-fail", "");
  for (const id of [completed, archived, mutableCompleted, mutableArchived, mutableFailed])
    await waitTerminal(id);
  for (const id of [archived, mutableArchived]) {
    expect((await api.post(`/api/v1/sessions/${id}/archive`)).status).toBe(200);
  }
  const external = async (id: string) =>
    expect(
      (await api.post("/api/v1/sessions/external", { id, projectRoot: kit.projectRoot, harness: "other" }))
        .status,
    ).toBe(201);
  await external("rel-ext-running-sentinel");
  await external("rel-ext-done-sentinel");
  await external("rel-ext-mutable");
  expect((await api.post("/api/v1/sessions/rel-ext-done-sentinel/complete", { exitCode: 0 })).status).toBe(
    200,
  );
  await waitFor(
    () => withLedger(daemon.home, (db) => allEvents(db).some((e) => e.payload_json.includes("quiet ready"))),
    "the live sentinel's output",
  );
  const page = await api.get<{ next_cursor: string }>("/api/v1/sessions?limit=2");
  const events = withLedger(daemon.home, allEvents);
  return {
    sentinels: new Map<string, SentinelKind>([
      [live, "live"],
      [completed, "completed"],
      [archived, "archived"],
      ["rel-ext-running-sentinel", "extRunning"],
      ["rel-ext-done-sentinel", "extDone"],
    ]),
    mutable: [mutableCompleted, mutableArchived, mutableFailed, "rel-ext-mutable"],
    eventIds: events.map((event) => event.id),
    cursor: page.body.next_cursor,
    maxSeq: events.at(-1)?.seq ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------------------

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Any generated value as text (objects may have no prototype, so never String(object)). */
function asText(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined");
}

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate: send the bytes its UTF-8-ish encoding would have, which are not valid UTF-8.
    return "%ED%A0%80";
  }
}

/** Raw path segments, sent as written (only printable ASCII, as HTTP allows). */
const TRICK_SEGMENTS = [
  "..",
  ".",
  "%2e%2e",
  "%2E%2E%2F%2E%2E",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "a%00b",
  "%FF",
  "%C0%AE%C0%AE",
  "%ED%A0%80",
  "%",
  "%%",
  "%zz",
  "%2F",
  "a%2Fb",
  "~",
  "*",
  ";",
  "a;b=c",
  "%3B",
  "%20",
  "+",
  "%E2%80%AE",
  "%25",
  "%252e%252e",
  "\\",
  "%5C..%5C",
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "x".repeat(4097),
  "y".repeat(10_000),
];

const junkText = fc.constantFrom(
  "",
  "\u0000",
  "\r",
  "exit 0\r",
  "\u001b[2J\u001b]0;title\u0007",
  "\ud800",
  "\udfff",
  "AKIAIOSFODNN7EXAMPLE",
  "%s%s%n",
  "$" + "{process.exit()}",
  "$(reboot)",
  "`id`",
  "'; DROP TABLE events; --",
  "\u202e",
  "𝕏".repeat(100),
  "null",
  "undefined",
);

const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 64 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
  { weight: 2, arbitrary: junkText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(512, 513, 4096, 65_536, 256 * 1024, 256 * 1024 + 1).map((n) => "z".repeat(n)),
  },
);

const wrongType: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.string({ maxLength: 20 }),
);

function intArb(schema: JsonSchema): fc.Arbitrary<Json> {
  const min = schema.minimum ?? -1000;
  const max = schema.maximum ?? 100_000;
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min, max }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        0,
        -1,
        1,
        min - 1,
        max + 1,
        2 ** 31,
        2 ** 53,
        2 ** 53 + 2,
        -(2 ** 53),
        1.5,
        1e308,
        -0,
      ),
    },
    { weight: 1, arbitrary: fc.double() },
  );
}

function pathPool(kitRef: ReliabilityKit): string[] {
  const root = kitRef.projectRoot;
  return [
    root,
    `${root}/`,
    `${root}/.`,
    `${root}/sub/..`,
    `${root}//sub`,
    `${root}/sub`,
    `${root}/link-in`,
    `${root}/link-out`,
    `${root}/file.txt`,
    `${root}/loop-a`,
    `${path.dirname(root)}/project-link`,
    kitRef.outside,
    "/",
    "/etc",
    "/etc/passwd",
    "/proc/self/cwd",
    "/proc/self/root",
    "/dev/null",
    "/nonexistent/dir",
    "relative/path",
    ".",
    "..",
    "",
    "\u0000",
    `${root}\u0000`,
    `${root}\u0000/../etc`,
    `/${"a".repeat(5000)}`,
    `/${"d/".repeat(2047)}`,
    `${root}/${"../".repeat(50)}etc`,
    "~",
    "~root",
    "C:\\Windows",
    "\\\\server\\share",
    "/tmp/../etc",
    root.toUpperCase(),
    `${root}/%2e%2e`,
    "file:///etc",
    " /etc",
    `${root} `,
  ];
}

function cwdPool(kitRef: ReliabilityKit): string[] {
  const root = kitRef.projectRoot;
  return [
    "sub",
    "sub/deeper",
    ".",
    "",
    "..",
    "../..",
    "../outside",
    "/etc",
    "link-out",
    "link-in",
    "link-out/..",
    "sub/../../outside",
    root,
    `${root}/sub`,
    kitRef.outside,
    "file.txt",
    "loop-a",
    "\u0000",
    "sub\u0000",
    "a".repeat(5000),
    `sub/${"../".repeat(30)}`,
    "/",
  ];
}

const HARNESSES = [
  "rel-fail",
  "codex",
  "claude",
  "copilot",
  "",
  "rel-fail\u0000",
  "REL-FAIL",
  "rel-fail ",
  "../bin/sh",
  "/bin/sh",
  "sh",
  "node",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "a".repeat(65),
  "rel-fail;rm -rf /",
  "$(id)",
];

function idArb(): fc.Arbitrary<string> {
  const real = [...seeded.sentinels.keys(), ...seeded.mutable];
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "..",
        ".",
        "../..",
        "a/b",
        "\u0000",
        "a\u0000b",
        "-",
        "_",
        "A".repeat(128),
        "A".repeat(129),
        "x".repeat(5000),
        "__proto__",
        "constructor",
        "1e309",
        " ",
        "",
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...real), fc.constantFrom("prefix", "suffix", "upper", "space"))
        .map(([id, how]) =>
          how === "prefix"
            ? id.slice(0, Math.max(1, id.length >> 1))
            : how === "suffix"
              ? `${id}x`
              : how === "upper"
                ? id.toUpperCase()
                : ` ${id}`,
        ),
    },
  );
}

function cursorArb(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        seeded.cursor,
        `${seeded.cursor}x`,
        seeded.cursor.slice(0, -2),
        b64([]),
        b64(["x"]),
        b64(["2026-01-01T00:00:00.000Z"]),
        b64(["not-a-date", "id"]),
        b64([1, 2]),
        b64({ createdAt: "x", id: "y" }),
        b64("null"),
        b64(["2026-01-01T00:00:00.000Z", "a".repeat(600)]),
        b64(["9999-12-31T23:59:59.999Z", ""]),
        b64(["2026-01-01T00:00:00.000Z", "x", "extra"]),
        b64('["\\u0000","x"]'),
        b64("[".repeat(5001)),
        "",
        "=",
        "====",
        "AAAA",
        "a".repeat(513),
        "../",
      ),
    },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{0,600}$/) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(b64) },
  );
}

/** A value for one field: mostly plausible for its name and schema, sometimes of the wrong type. */
function fieldValue(field: Field): fc.Arbitrary<Json> {
  const schema = field.schema;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  let plausible: fc.Arbitrary<Json>;
  switch (field.name) {
    case "id":
    case "sessionId":
      plausible = idArb();
      break;
    case "afterEventId":
      plausible = fc.oneof(fc.constantFrom(...seeded.eventIds.slice(0, 50)), idArb());
      break;
    case "prefix":
      plausible = fc.oneof(
        idArb().map((id) => id.slice(0, 3)),
        idArb(),
      );
      break;
    case "projectRoot":
    case "transcriptPath":
      plausible = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...pathPool(kit)) },
        { weight: 1, arbitrary: textArb },
      );
      break;
    case "cwd":
      plausible = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...cwdPool(kit)) },
        { weight: 1, arbitrary: textArb },
      );
      break;
    case "harness":
      plausible = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...HARNESSES) },
        { weight: 1, arbitrary: textArb },
      );
      break;
    case "cursor":
      plausible = cursorArb();
      break;
    case "lastEventId":
      plausible = fc.constantFrom(
        "0",
        "1",
        String(seeded.maxSeq),
        "abc",
        "-1",
        "1e3",
        "9".repeat(16),
        "",
        " 5",
        "%FF",
      );
      break;
    case "action":
      plausible = fc.oneof(
        fc.constantFrom(
          "coven.capabilities.refresh",
          "coven.capabilities.refresh ",
          "COVEN.CAPABILITIES.REFRESH",
        ),
        fc.constantFrom("__proto__", "constructor", "toString", "", "coven.sessions.launch"),
        textArb,
      );
      break;
    default:
      if (schema.enum) plausible = fc.oneof(fc.constantFrom(...schema.enum), textArb);
      else if (types.includes("integer") || types.includes("number")) plausible = intArb(schema);
      else if (types.includes("boolean"))
        plausible = fc.oneof(fc.boolean(), fc.constantFrom("true", "false", 0, 1));
      else if (types.includes("string")) plausible = textArb;
      else if (types.includes("object"))
        plausible = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
      else plausible = fc.jsonValue({ maxDepth: 3 });
      if (types.includes("null")) plausible = fc.oneof(plausible, fc.constant(null));
  }
  return fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: wrongType });
}

/** `arbitrary` one time in `oneIn`, else null. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

const extraKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "zzUnknown",
  "",
  "id ",
  "a.b",
  "x".repeat(300),
);

/** An object of some of a route's fields (path, query and body alike: tRPC takes them in one object). */
function fieldsObject(fields: Field[]): fc.Arbitrary<Record<string, Json>> {
  const entries = fields.map((field) =>
    fc.option(fieldValue(field), { freq: 3, nil: undefined }).map((value) => [field.name, value] as const),
  );
  return fc
    .tuple(fc.tuple(...entries), rarely(fc.tuple(extraKey, fc.jsonValue({ maxDepth: 2 })), 6))
    .map(([pairs, extra]) => {
      const object: Record<string, Json> = {};
      for (const [name, value] of pairs) if (value !== undefined) object[name] = value;
      if (extra)
        Object.defineProperty(object, extra[0], { value: extra[1], enumerable: true, writable: true });
      return object;
    });
}

interface RawBody {
  kind: "raw";
  bytes: string | Buffer;
  /** The body is over the daemon's limit: the connection may be cut while it is still being sent. */
  oversized?: boolean;
}
type Body = { kind: "none" } | { kind: "json"; value: Json } | RawBody;

function deepNesting(depth: number, style: "array" | "object" | "field"): string {
  if (style === "array") return `${"[".repeat(depth)}${"]".repeat(depth)}`;
  if (style === "object") return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  return `{"projectRoot":${"[".repeat(depth)}${"]".repeat(depth)},"harness":"x","prompt":""}`;
}

const INVALID_UTF8 = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
];

const rawBodyArb: fc.Arbitrary<RawBody> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...INVALID_UTF8), fc.constantFrom("projectRoot", "data", "id", "action"))
    .map(([bytes, key]) => ({
      kind: "raw" as const,
      bytes: Buffer.concat([Buffer.from(`{"${key}":"`), bytes, Buffer.from('","harness":"x","prompt":""}')]),
    })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: "raw" as const, bytes: Buffer.from(bytes) })),
  fc
    .constantFrom(
      "{",
      "}",
      "{}}",
      "[",
      "nul",
      "NaN",
      "Infinity",
      "'single'",
      '{"a":1,"a":2}',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      "\ufeff{}",
      '{"data":"\\ud800"}',
      '{"data":"\\u0000"}',
      "1e999999",
      "-",
      "[][]",
      "{}\u0000",
      " \t\r\n ",
    )
    .map((text) => ({ kind: "raw" as const, bytes: text })),
  fc
    .tuple(
      fc.integer({ min: 100, max: 100_000 }),
      fc.constantFrom("array" as const, "object" as const, "field" as const),
    )
    .map(([depth, style]) => ({ kind: "raw" as const, bytes: deepNesting(depth, style) })),
);

const oversizedArb: fc.Arbitrary<RawBody> = fc.constantFrom(1, 1000, 512 * 1024).map((extra) => ({
  kind: "raw" as const,
  bytes: `{"data":"${"o".repeat(1024 * 1024 + extra)}"}`,
  oversized: true,
}));

/** A schema-valid body per operation, the starting point of the "one or two fields off" bodies. */
function validBody(route: Route): Record<string, Json> {
  switch (route.operationId) {
    case "launchSession":
      return { projectRoot: kit.projectRoot, harness: "rel-fail", prompt: "fuzz" };
    case "registerExternalSession":
      return { id: "rel-ext-fuzz", projectRoot: kit.projectRoot, harness: "other" };
    case "sendSessionInput":
      return { data: "x" };
    case "resizeSession":
      return { cols: 80, rows: 24 };
    case "completeExternalSession":
      return { exitCode: 0 };
    case "runAction":
      return { action: "coven.capabilities.refresh" };
    case "pruneEvents":
      return { dryRun: true };
    default:
      return {};
  }
}

/** A valid body with zero, one or two of its fields replaced (or removed): policy checks one at a time. */
function nearValidBody(route: Route): fc.Arbitrary<Body> {
  const fields = route.fields.filter((field) => field.where === "body");
  if (fields.length === 0) return fc.constant({ kind: "json" as const, value: validBody(route) });
  const change = fc
    .tuple(fc.constantFrom(...fields), fc.option(fc.constant(true), { freq: 5 }))
    .chain(([field, remove]) =>
      fieldValue(field).map((value) => ({ field: field.name, value, remove: remove === true })),
    );
  return fc.array(change, { maxLength: 2 }).map((changes) => {
    const value = validBody(route);
    for (const { field, value: next, remove } of changes) {
      if (remove) delete value[field];
      else value[field] = next;
    }
    return { kind: "json" as const, value };
  });
}

function bodyArb(route: Route): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 8, arbitrary: nearValidBody(route) },
    {
      weight: 12,
      arbitrary: fieldsObject(route.fields.filter((f) => f.where === "body")).map((value) => ({
        kind: "json" as const,
        value,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: "json" as const, value })),
    },
    { weight: 3, arbitrary: rawBodyArb },
    { weight: 2, arbitrary: fc.constant({ kind: "none" as const }) },
    { weight: 1, arbitrary: oversizedArb },
  );
}

const contentTypeArb = fc.oneof(
  { weight: 14, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constant("application/json; charset=utf-8") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/JSON",
      "application/json; charset=utf-16",
      "",
      "*/*",
      "application/json, text/plain",
      "application/vnd.api+json",
    ),
  },
);

/** A query string for a route's query fields: values rendered as text, sometimes repeated or unknown. */
function queryArb(route: Route): fc.Arbitrary<string> {
  const fields = route.fields.filter((field) => field.where === "query");
  const render = (value: Json): string[] => {
    if (Array.isArray(value)) return value.slice(0, 3).map(asText);
    return [asText(value)];
  };
  const rawValues = fc.constantFrom(
    "1e3",
    "0x10",
    "+1",
    " 1",
    "1 ",
    "١",
    "1_000",
    "9".repeat(24),
    "",
    "null",
    "[]",
    "%FF",
    "%00",
    "%C0%AF",
    "%",
  );
  const entries = fields.map((field) =>
    fc
      .option(
        fc.oneof(
          { weight: 4, arbitrary: fieldValue(field).map(render) },
          { weight: 1, arbitrary: rawValues.map((v) => [v]) },
        ),
        {
          freq: 2,
          nil: undefined,
        },
      )
      .map((values) => ({ field, values })),
  );
  const extras = fc.array(
    fc.tuple(
      fc.constantFrom(
        "__proto__",
        "constructor",
        "a[b]",
        "limit[]",
        "",
        "%00",
        "x".repeat(300),
        "sessionId",
        "afterSeq",
      ),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 2 },
  );
  return fc.tuple(fc.tuple(...entries), extras, fc.boolean()).map(([rendered, extra, rawPercent]) => {
    const parts: string[] = [];
    for (const { field, values } of rendered) {
      if (!values) continue;
      for (const value of values) {
        // Some values stay raw so malformed percent-escapes reach the server.
        const encoded =
          rawPercent && /^[\x21-\x7e]*$/.test(value) && !/[&#]/.test(value) ? value : safeEncode(value);
        parts.push(`${field.name}=${encoded}`);
      }
    }
    for (const [key, value] of extra)
      parts.push(
        `${/^[\x21-\x7e]*$/.test(key) && !/[&#=]/.test(key) ? key : safeEncode(key)}=${safeEncode(value)}`,
      );
    return parts.length > 0 ? `?${parts.join("&")}` : "";
  });
}

interface RestPlan {
  type: "rest";
  route: Route;
  method: string;
  path: string;
  /** The path parameters as the server sees them (percent-decoded once). */
  targets: string[];
  body: Body;
  contentType: string;
  headers: Record<string, string>;
  forced?: boolean;
  malformedUrl: boolean;
}

function restPlanArb(route: Route): fc.Arbitrary<RestPlan> {
  const pathFields = route.fields.filter((field) => field.where === "path");
  const segment = (field: Field) =>
    fc.oneof(
      {
        weight: 8,
        arbitrary: fieldValue(field).map((value) => ({
          text: safeEncode(asText(value)),
          seen: asText(value),
        })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...TRICK_SEGMENTS).map((text) => ({ text, seen: decode(text) })),
      },
    );
  const wrongMethod = fc.oneof(
    { weight: 20, arbitrary: fc.constant(route.method as string) },
    { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE") },
  );
  return fc
    .record({
      segments: fc.tuple(...pathFields.map(segment)),
      query:
        route.method === "GET"
          ? queryArb(route)
          : fc.oneof({ weight: 9, arbitrary: fc.constant("") }, { weight: 1, arbitrary: queryArb(route) }),
      body:
        route.method === "POST"
          ? bodyArb(route)
          : fc.oneof(
              { weight: 9, arbitrary: fc.constant({ kind: "none" } as Body) },
              { weight: 1, arbitrary: bodyArb(route) },
            ),
      contentType: contentTypeArb,
      method: wrongMethod,
      lastEventId: route.stream
        ? rarely(fc.constantFrom("0", "1", "abc", "-1", "9".repeat(16), "", " 5"), 3)
        : fc.constant(null),
      bigHeader: rarely(fc.constantFrom(20_000, 70_000), 200),
    })
    .map(({ segments, query, body, contentType, method, lastEventId, bigHeader }) => {
      let index = 0;
      const urlPath = `/api/v1${route.template.replace(/\{\w+\}/g, () => segments[index++]!.text)}${query}`;
      const headers: Record<string, string> = {};
      if (body.kind !== "none" && contentType !== "") headers["content-type"] = contentType;
      if (lastEventId !== null) headers["last-event-id"] = lastEventId;
      if (bigHeader !== null) headers["x-big"] = "h".repeat(bigHeader);
      return {
        type: "rest" as const,
        route,
        method,
        path: urlPath,
        targets: segments.map((s) => s.seen),
        body,
        contentType,
        headers,
        malformedUrl:
          bigHeader !== null ||
          urlPath.length > HEADER_LIMIT ||
          hasMalformedEscape(urlPath) ||
          segments.some((s) => s.text.length > 4096),
      };
    });
}

function hasMalformedEscape(urlPath: string): boolean {
  try {
    decodeURIComponent(urlPath.replace(/\+/g, " "));
    return false;
  } catch {
    return true;
  }
}

interface TrpcCall {
  procedure: string;
  route: Route | undefined;
  input: Json | undefined;
  forced?: boolean;
}
interface TrpcPlan {
  type: "trpc";
  method: "GET" | "POST";
  batch: boolean;
  calls: TrpcCall[];
  /** When set, sent instead of the JSON of the inputs (malformed input). */
  rawInput?: string;
  bodyOverride?: RawBody;
}

const BOGUS_PROCEDURES = [
  "nope",
  "__proto__",
  "sessions.__proto__",
  "constructor",
  "sessions",
  "sessions.",
  ".get",
  "sessions..get",
  "toString",
  "sessions.get.extra",
  "sessions.constructor",
  "a".repeat(300),
];

function trpcCallArb(): fc.Arbitrary<TrpcCall> {
  const known = fc
    .constantFrom(...PROCEDURES)
    .chain((route) =>
      fc
        .oneof(
          { weight: 6, arbitrary: fieldsObject(route.fields).map((value) => value as Json) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        )
        .map((input) => ({ procedure: route.procedure, route, input })),
    );
  const bogus = fc
    .tuple(
      fc.oneof(fc.constantFrom(...BOGUS_PROCEDURES), fc.stringMatching(/^[a-zA-Z.]{0,30}$/)),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([procedure, input]) => ({ procedure, route: undefined, input }));
  return fc.oneof({ weight: 8, arbitrary: known }, { weight: 1, arbitrary: bogus });
}

const trpcPlanArb: fc.Arbitrary<TrpcPlan> = fc
  .record({
    method: fc.constantFrom("GET" as const, "POST" as const),
    batch: fc.boolean(),
    calls: fc.array(trpcCallArb(), { minLength: 1, maxLength: 4 }),
    raw: rarely(
      fc.oneof(
        fc.constantFrom("%7B", "%FF", "%C0%AF", "not-json", "%00", "[1,2", "%7B%220%22%3A1%7D", ""),
        fc
          .integer({ min: 100, max: 1500 })
          .map((depth) => encodeURIComponent("[".repeat(depth) + "]".repeat(depth))),
      ),
      8,
    ),
    body: rarely(fc.oneof({ weight: 6, arbitrary: rawBodyArb }, { weight: 1, arbitrary: oversizedArb }), 8),
  })
  .map(({ method, batch, calls, raw, body }) => ({
    type: "trpc" as const,
    method,
    batch,
    calls: batch ? calls : calls.slice(0, 1),
    ...(raw !== null && method === "GET" ? { rawInput: raw } : {}),
    ...(body !== null && method === "POST" ? { bodyOverride: body } : {}),
  }));

type Plan = RestPlan | TrpcPlan;

function planArb(): fc.Arbitrary<Plan> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ROUTES).chain(restPlanArb) },
      { weight: 1, arbitrary: trpcPlanArb },
    )
    .map((plan) => Object.defineProperty(plan, fc.toStringMethod, { value: () => describePlan(plan) }));
}

// ---------------------------------------------------------------------------------------------------------
// Keeping the sentinels out of reach of valid mutations.
// ---------------------------------------------------------------------------------------------------------

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Which sentinel a mutation would act on, if any (path id, body id of a registration, tRPC input id). */
function sentinelTarget(procedure: string, ids: unknown[]): SentinelKind | undefined {
  if (!VALID_ALLOWED[procedure]) return undefined;
  for (const id of ids) {
    const kind = typeof id === "string" ? seeded.sentinels.get(id) : undefined;
    if (kind && !VALID_ALLOWED[procedure]!.includes(kind)) return kind;
  }
  return undefined;
}

/** Makes an input certainly invalid for a strict schema, keeping the rest of it. */
function invalidInput(input: Json, how: number): Json {
  const object = input !== null && typeof input === "object" && !Array.isArray(input) ? input : {};
  switch (how % 4) {
    case 0:
      return { ...object, zzUnknown: 1 };
    case 1:
      return [object];
    case 2:
      return 42;
    default:
      return "not an object";
  }
}

/**
 * A valid prune deletes events older than its cutoff. Every event here is minutes old, so a cutoff of a day or
 * more deletes nothing; a shorter one is turned into a dry run (which counts, and deletes nothing).
 */
function guardPrune(input: Json): Json {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return input;
  const days = (input as { olderThanDays?: unknown }).olderThanDays;
  if (typeof days === "number" && days < 1) return { ...input, dryRun: true };
  return input;
}

function guardPlan(plan: Plan, salt: number): Plan {
  if (plan.type === "rest") {
    const { route } = plan;
    if (plan.method !== "POST" || route.method !== "POST") return plan;
    if (route.procedure === "maintenance.prune" && plan.body.kind === "json") {
      return { ...plan, body: { kind: "json", value: guardPrune(plan.body.value) } };
    }
    const bodyId = plan.body.kind === "json" ? (plan.body.value as { id?: unknown } | null)?.id : undefined;
    const ids = [...plan.targets, bodyId];
    if (!sentinelTarget(route.procedure, ids)) return plan;
    // Invalid by construction: not an object, malformed, not JSON, or an unknown field.
    const bodies: Body[] = [
      { kind: "json", value: invalidInput(plan.body.kind === "json" ? plan.body.value : {}, salt) },
      { kind: "raw", bytes: "{" },
      { kind: "raw", bytes: Buffer.concat([Buffer.from('{"data":"'), INVALID_UTF8[0]!, Buffer.from('"')]) },
    ];
    return {
      ...plan,
      body: bodies[salt % bodies.length]!,
      contentType: "application/json",
      headers: { ...plan.headers, "content-type": "application/json" },
      forced: true,
    };
  }
  const calls = plan.calls.map((call, index) => {
    if (call.procedure === "maintenance.prune") return { ...call, input: guardPrune(call.input) };
    const input = call.input as { id?: unknown } | null | undefined;
    const id = input !== null && typeof input === "object" ? input.id : undefined;
    if (call.route?.procedureType !== "mutation" || !sentinelTarget(call.procedure, [id])) return call;
    return { ...call, input: invalidInput(call.input, salt + index), forced: true };
  });
  return { ...plan, calls };
}

// ---------------------------------------------------------------------------------------------------------
// Sending and judging.
// ---------------------------------------------------------------------------------------------------------

interface Outcome {
  plan: Plan;
  response?: RawResponse;
  error?: string;
}

function trpcRequest(plan: TrpcPlan): {
  method: string;
  path: string;
  body?: string | Buffer;
  headers: Record<string, string>;
} {
  const names = plan.calls.map((call) => call.procedure).join(",");
  const inputs = plan.batch
    ? Object.fromEntries(plan.calls.map((call, index) => [String(index), call.input]))
    : plan.calls[0]!.input;
  const encodedNames = names
    .split(",")
    .map((name) => (/^[\x21-\x7e]*$/.test(name) && !/[?#%/]/.test(name) ? name : safeEncode(name)))
    .join(",");
  if (plan.method === "GET") {
    const params: string[] = [];
    if (plan.batch) params.push("batch=1");
    if (plan.rawInput !== undefined) params.push(`input=${plan.rawInput}`);
    else if (inputs !== undefined) params.push(`input=${safeEncode(JSON.stringify(inputs) ?? "")}`);
    return {
      method: "GET",
      path: `/trpc/${encodedNames}${params.length ? `?${params.join("&")}` : ""}`,
      headers: {},
    };
  }
  const body = plan.bodyOverride
    ? plan.bodyOverride.bytes
    : inputs === undefined
      ? undefined
      : JSON.stringify(inputs);
  return {
    method: "POST",
    path: `/trpc/${encodedNames}${plan.batch ? "?batch=1" : ""}`,
    ...(body !== undefined ? { body } : {}),
    headers: { "content-type": "application/json" },
  };
}

async function send(agent: Agent, plan: Plan): Promise<Outcome> {
  try {
    if (plan.type === "rest") {
      const body =
        plan.body.kind === "json"
          ? (JSON.stringify(plan.body.value) ?? "null")
          : plan.body.kind === "raw"
            ? plan.body.bytes
            : undefined;
      const response = await rawRequest(agent, {
        method: plan.method,
        path: plan.path,
        headers: plan.headers,
        ...(body !== undefined ? { body } : {}),
        streamMs: 100,
      });
      return { plan, response };
    }
    const request = trpcRequest(plan);
    const response = await rawRequest(agent, { ...request, streamMs: 100 });
    return { plan, response };
  } catch (error) {
    return { plan, error: `${(error as { code?: string }).code ?? ""} ${(error as Error).message}` };
  }
}

function describePlan(plan: Plan): string {
  if (plan.type === "rest") {
    const body =
      plan.body.kind === "json"
        ? JSON.stringify(plan.body.value)
        : plan.body.kind === "raw"
          ? `raw(${Buffer.byteLength(plan.body.bytes)} bytes) ${String(plan.body.bytes).slice(0, 80)}`
          : "(no body)";
    return `REST ${plan.method} ${plan.path.slice(0, 300)} [${plan.contentType}] ${String(body).slice(0, 300)}`;
  }
  const request = trpcRequest(plan);
  return `tRPC ${request.method} ${request.path.slice(0, 300)} ${String(request.body ?? "").slice(0, 300)}`;
}

const stats = {
  sent: 0,
  rest: 0,
  trpc: 0,
  byStatus: new Map<number, number>(),
  byCode: new Map<string, number>(),
  transportErrors: 0,
  accepted: 0,
  forced: 0,
  slowestMs: 0,
};
const touched = new Set<string>();
const created = new Set<string>();
/** Sessions an accepted launch started (a subset of `created`; the rest are external registrations). */
const launched = new Set<string>();

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function isEnvelope(body: unknown): body is { error: { code: string; message: string } } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
}

function checkCode(code: unknown, status: number, where: string): string[] {
  if (typeof code !== "string" || !(code in ERROR_STATUS))
    return [`${where}: code ${String(code)} is not a contract code`];
  const expected = ERROR_STATUS[code as keyof typeof ERROR_STATUS];
  if (expected !== status) return [`${where}: code ${code} travels with ${expected}, answered ${status}`];
  return [];
}

function judgeRest(plan: RestPlan, response: RawResponse): string[] {
  const problems: string[] = [];
  const { status } = response;
  if (status >= 500) problems.push(`answered ${status}`);
  const contentType = String(response.headers["content-type"] ?? "");
  if (contentType.startsWith("text/event-stream")) {
    if (status !== 200 || !plan.route.stream || plan.method !== "GET")
      problems.push(`unexpected event stream (${status})`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return [...problems, `body is not JSON: ${response.text.slice(0, 120)}`];
  }
  if (status >= 400) {
    if (!isEnvelope(body)) problems.push(`failure without the envelope: ${response.text.slice(0, 200)}`);
    else {
      problems.push(...checkCode(body.error.code, status, "envelope"));
      bump(stats.byCode, body.error.code);
    }
  }
  try {
    // An empty path parameter (`/sessions//complete`, `/sessions/`) still names the route; its id is invalid.
    const routed = plan.path.split("?")[0]!.replace(/\/(?=\/|$)/g, "/_");
    assertDocumentedResponse(plan.method, routed, status, body);
  } catch (error) {
    // A URL the HTTP layer cannot even route (bad escapes, over-long segments or headers) answers 400
    // invalid_request, whichever path it named.
    const acceptable =
      plan.malformedUrl && status === 400 && isEnvelope(body) && body.error.code === "invalid_request";
    if (!acceptable) problems.push(`not as documented: ${(error as Error).message.slice(0, 300)}`);
  }
  if (
    status < 300 &&
    plan.method === "POST" &&
    plan.route.method === "POST" &&
    plan.route.procedureType === "mutation"
  ) {
    stats.accepted += 1;
    if (plan.forced) problems.push("a request that is invalid by construction was accepted");
    for (const target of plan.targets) touched.add(target);
    const bodyId = plan.body.kind === "json" ? (plan.body.value as { id?: unknown } | null)?.id : undefined;
    if (typeof bodyId === "string") touched.add(bodyId);
    const createdId = (body as { id?: unknown } | null)?.id;
    if (status === 201 && typeof createdId === "string") {
      created.add(createdId);
      if (plan.route.procedure === "sessions.launch") launched.add(createdId);
    }
  }
  return problems;
}

function judgeTrpcError(error: unknown, status: number | undefined, where: string): string[] {
  const data = (error as { data?: { covenCode?: unknown; httpStatus?: unknown } } | null)?.data;
  if (!data) return [`${where}: tRPC error without data: ${JSON.stringify(error).slice(0, 200)}`];
  const httpStatus = typeof data.httpStatus === "number" ? data.httpStatus : -1;
  const problems = checkCode(data.covenCode, httpStatus, where);
  if (status !== undefined && httpStatus !== status)
    problems.push(`${where}: data.httpStatus ${httpStatus} but HTTP ${status}`);
  if (httpStatus >= 500) problems.push(`${where}: ${httpStatus} (${String(data.covenCode)})`);
  bump(stats.byCode, String(data.covenCode));
  return problems;
}

function noteTrpcSuccess(call: TrpcCall, result: unknown): string[] {
  if (call.route?.procedureType !== "mutation") return [];
  stats.accepted += 1;
  const input = call.input as { id?: unknown } | null | undefined;
  if (input !== null && typeof input === "object" && typeof input.id === "string") touched.add(input.id);
  const id = (result as { data?: { id?: unknown } } | null)?.data?.id;
  if (
    (call.procedure === "sessions.launch" || call.procedure === "sessions.registerExternal") &&
    typeof id === "string"
  ) {
    created.add(id);
    if (call.procedure === "sessions.launch") launched.add(id);
  }
  return call.forced ? [`${call.procedure}: an input that is invalid by construction was accepted`] : [];
}

function judgeTrpc(plan: TrpcPlan, response: RawResponse): string[] {
  const problems: string[] = [];
  const { status } = response;
  if (status >= 500) problems.push(`answered ${status}`);
  const contentType = String(response.headers["content-type"] ?? "");
  if (contentType.startsWith("text/event-stream")) {
    if (status !== 200) problems.push(`event stream with ${status}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return [...problems, `body is not JSON: ${response.text.slice(0, 120)}`];
  }
  // Failures before tRPC sees the request (a URL the HTTP layer refuses) carry the REST envelope.
  if (isEnvelope(body) && !("data" in (body.error as object))) {
    if (status < 400) problems.push(`envelope with ${status}`);
    bump(stats.byCode, body.error.code);
    return [...problems, ...checkCode(body.error.code, status, "envelope")];
  }
  if (Array.isArray(body)) {
    if (!plan.batch) problems.push("an array answer to a single call");
    const statuses = new Set<number>();
    body.forEach((item: { result?: unknown; error?: unknown }, index) => {
      if (item && "error" in item) {
        problems.push(...judgeTrpcError(item.error, undefined, `item ${index}`));
        statuses.add((item.error as { data?: { httpStatus?: number } }).data?.httpStatus ?? -1);
      } else if (item && "result" in item) {
        statuses.add(200);
        if (plan.calls[index]) problems.push(...noteTrpcSuccess(plan.calls[index]!, item.result));
      } else problems.push(`item ${index} is neither result nor error`);
    });
    const expected = statuses.size === 1 ? [...statuses][0] : 207;
    if (status !== expected && !(status === 207 && statuses.size >= 1))
      problems.push(`batch answered ${status}, items ${[...statuses].join("/")}`);
    return problems;
  }
  const single = body as { result?: unknown; error?: unknown };
  if ("error" in single) problems.push(...judgeTrpcError(single.error, status, "error"));
  else if ("result" in single) {
    if (status !== 200) problems.push(`result with ${status}`);
    if (!plan.batch && plan.calls[0]) problems.push(...noteTrpcSuccess(plan.calls[0], single.result));
  } else problems.push(`neither result nor error: ${response.text.slice(0, 200)}`);
  return problems;
}

/** Node's HTTP parser takes at most 16 KiB of request line and headers; past that it may cut the connection. */
const HEADER_LIMIT = 16 * 1024 - 512;

function mayLoseConnection(plan: Plan): boolean {
  if (plan.type === "rest") {
    return (
      (plan.body.kind === "raw" && plan.body.oversized === true) ||
      "x-big" in plan.headers ||
      plan.path.length > HEADER_LIMIT
    );
  }
  return plan.bodyOverride?.oversized === true || trpcRequest(plan).path.length > HEADER_LIMIT;
}

function judge(outcome: Outcome): string[] {
  const { plan } = outcome;
  stats.sent += 1;
  if (plan.type === "rest") stats.rest += 1;
  else stats.trpc += 1;
  if (plan.type === "rest" && plan.forced) stats.forced += 1;
  if (plan.type === "trpc" && plan.calls.some((call) => call.forced)) stats.forced += 1;
  if (!outcome.response) {
    stats.transportErrors += 1;
    return mayLoseConnection(plan) ? [] : [`transport error: ${outcome.error}`];
  }
  bump(stats.byStatus, outcome.response.status);
  stats.slowestMs = Math.max(stats.slowestMs, outcome.response.ms);
  return plan.type === "rest" ? judgeRest(plan, outcome.response) : judgeTrpc(plan, outcome.response);
}

// ---------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  kit = reliabilityKit();
  daemon = await startDaemon({ env: { ...kit.env, COVEN_LOG_STDOUT: "0" } });
  api = new RestClient(daemon.socket);
  seeded = await seedLedger();
});

afterAll(async () => {
  await api?.close();
  await daemon?.stop();
  if (!kit) return;
  killHarnesses(kit.bin);
  removeTempDirs([path.dirname(kit.bin), daemon && path.dirname(daemon.home)]);
});

describe("bad input (property-based fuzzing of every REST route and tRPC procedure)", () => {
  it(`survives ${REQUESTS} random and adversarial requests with contract answers and an unchanged ledger`, async () => {
    console.log(
      `[fuzz] seed ${seed} (replay: RELIABILITY_SEED=${seed}); ${ROUTES.length} REST operations, ${PROCEDURES.length} procedures`,
    );
    await waitFor(
      async () => (await api.get<any>("/api/v1/health")).body.eventWriter.queuedEvents === 0,
      "a quiet writer",
    );
    const before = withLedger(daemon.home, sessionDigests);
    const agent = new Agent({
      connections: CONCURRENCY,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { socketPath: daemon.socket },
    });
    const started = performance.now();
    let salt = 0;
    const property = fc.asyncProperty(
      fc.array(planArb(), { minLength: BATCH, maxLength: BATCH }),
      async (plans) => {
        const guarded = plans.map((plan) => guardPlan(plan, salt++));
        const outcomes = await pool(guarded, CONCURRENCY, (plan) => send(agent, plan));
        const problems = outcomes.flatMap((outcome) =>
          judge(outcome).map((problem) => `${problem}\n    ← ${describePlan(outcome.plan)}`),
        );
        if (daemon.process.exitCode !== null || daemon.process.signalCode !== null)
          problems.push(`the daemon died: ${daemon.output().slice(-2000)}`);
        else if (!fs.existsSync(daemon.socket))
          problems.push("the daemon's socket file is gone while the daemon runs");
        if (problems.length > 0)
          throw new Error(
            `${problems.length} problem(s):\n  ${[...new Set(problems)].slice(0, 15).join("\n  ")}`,
          );
      },
    );
    await fc.assert(property, { seed, numRuns: Math.ceil(REQUESTS / BATCH), endOnFailure: true });
    const seconds = (performance.now() - started) / 1000;
    await agent.close();

    // The same process still answers.
    const health = await api.get<{ daemon: { pid: number } }>("/api/v1/health");
    expect(health.status).toBe(200);
    expect(health.body.daemon.pid).toBe(daemon.process.pid);

    // Accepted launches end by themselves (rel-fail); let their exits land before comparing.
    await waitFor(
      async () => {
        const list = await api.get<{ id: string; status: string }[]>("/api/v1/sessions");
        return list.body
          .filter((s) => launched.has(s.id))
          .every((s) => s.status !== "running" && s.status !== "created");
      },
      "accepted launches to finish",
      30_000,
    );
    await waitFor(
      async () => (await api.get<any>("/api/v1/health")).body.eventWriter.queuedEvents === 0,
      "a quiet writer",
    );
    const after = withLedger(daemon.home, sessionDigests);

    const changed: string[] = [];
    for (const [id, digest] of before) {
      const sentinel = seeded.sentinels.get(id);
      if (sentinel && after.get(id) !== digest) changed.push(`sentinel ${sentinel} ${id}`);
      else if (!sentinel && !touched.has(id) && after.get(id) !== digest) changed.push(`untouched ${id}`);
    }
    const unexplained = [...after.keys()].filter((id) => !before.has(id) && !created.has(id));
    console.log(
      `[fuzz] ${stats.sent} requests (${stats.rest} REST, ${stats.trpc} tRPC) in ${seconds.toFixed(1)} s ` +
        `(${Math.round(stats.sent / seconds)}/s, slowest ${Math.round(stats.slowestMs)} ms); ` +
        `statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort(([a], [b]) => a - b)))}; ` +
        `codes ${JSON.stringify(Object.fromEntries(stats.byCode))}; ${stats.accepted} accepted mutations, ` +
        `${stats.forced} sentinel-targeted requests made invalid, ${stats.transportErrors} cut connections ` +
        `(oversized only); ${launched.size} sessions launched, ${created.size - launched.size} registered, ` +
        `${touched.size} ids touched; ` +
        `${before.size} sessions before, ${after.size} after`,
    );
    expect(changed, "rows changed by rejected requests").toEqual([]);
    expect(unexplained, "rows no accepted request created").toEqual([]);
    expect(stats.sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(daemon.process.exitCode).toBeNull();
  });
});
