import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { OPENAPI_FILE, packageRoot } from "../package-root.js";
import { OPENAPI_ROUTE } from "./openapi-document.js";
import { REST_PREFIX } from "./rest-adapter.js";

/** Serves the committed document byte for byte (CI proves it equals what the router generates). */
export function registerOpenApiRoute(app: FastifyInstance): void {
  let document: Buffer | undefined;
  app.get(REST_PREFIX + OPENAPI_ROUTE, (_request, reply) => {
    document ??= fs.readFileSync(path.join(packageRoot(), OPENAPI_FILE));
    reply.type("application/json").send(document);
  });
}
