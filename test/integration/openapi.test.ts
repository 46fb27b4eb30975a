import fs from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { renderOpenApiDocument } from "../../server/http/openapi-document.js";
import { restRoutes } from "../../server/http/rest-adapter.js";
import { REPO_ROOT } from "../helpers/daemon.js";

const committedText = fs.readFileSync(path.join(REPO_ROOT, "openapi/coven.daemon.v1.json"), "utf8");

describe("the OpenAPI document", () => {
  it("is committed exactly as the router generates it", () => {
    expect(committedText).toBe(renderOpenApiDocument());
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(committedText));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("documents every REST face of the router with its statuses and the error envelope", () => {
    const document = JSON.parse(committedText) as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    for (const route of restRoutes()) {
      const operation = document.paths[route.face.path]?.[route.face.method.toLowerCase()];
      expect(operation?.operationId).toBe(route.face.operationId);
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining([String(route.face.status), "400", "500"]),
      );
    }
    const operationIds = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => operation.operationId),
    );
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });
});
