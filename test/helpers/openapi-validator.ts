import fs from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { REPO_ROOT } from "./daemon.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => void;

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

export const openApiDocument = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, "openapi/coven.daemon.v1.json"), "utf8"),
) as OpenApiDocument;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(openApiDocument, "openapi");

// Literal segments win over parameters (`/sessions/external` before `/sessions/{id}`), as in the server's router.
const templates = Object.keys(openApiDocument.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`),
  }))
  .sort((a, b) => a.params - b.params);

function pointer(...parts: string[]): string {
  return parts.map((part) => encodeURIComponent(part.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
}

/**
 * Checks a REST response against the committed OpenAPI document: the path, method and status must be
 * documented, and the body must match the documented schema. Unknown routes must answer the error envelope.
 */
export function assertDocumentedResponse(
  method: string,
  urlPath: string,
  status: number,
  body: unknown,
): void {
  const routePath = urlPath.split("?")[0]!.replace(/^\/api\/v1/, "");
  const match = templates.find(
    (candidate) =>
      candidate.pattern.test(routePath) && openApiDocument.paths[candidate.template]?.[method.toLowerCase()],
  );
  let ref: string;
  if (!match || !openApiDocument.paths[match.template]?.[method.toLowerCase()]) {
    if (status !== 404) throw new Error(`${method} ${urlPath} is not documented but answered ${status}`);
    ref = "openapi#/components/schemas/ErrorEnvelope";
  } else {
    const operation = openApiDocument.paths[match.template]![method.toLowerCase()]!;
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${method} ${match.template} does not document status ${status}`);
    const [mediaType] = Object.keys(response.content ?? {});
    if (!mediaType) throw new Error(`${method} ${match.template} ${status} documents no body`);
    ref = `openapi#/${pointer("paths", match.template, method.toLowerCase(), "responses", String(status), "content", mediaType, "schema")}`;
  }
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(body)) {
    throw new Error(
      `${method} ${urlPath} → ${status}: body does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n` +
        JSON.stringify(body).slice(0, 2000),
    );
  }
}

/** Validates a value against a named component schema (for CLI --json output and fixtures). */
export function assertMatchesComponent(component: string, value: unknown): void {
  const ref = `openapi#/components/schemas/${component}`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(value)) throw new Error(`${component}: ${ajv.errorsText(validate.errors)}`);
}
