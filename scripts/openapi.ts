import fs from "node:fs";
import path from "node:path";
import { renderOpenApiDocument } from "../server/http/openapi-document.js";
import { OPENAPI_FILE, packageRoot } from "../server/package-root.js";

/** `write` regenerates the committed OpenAPI document; `check` fails when the committed file has drifted. */
const mode = process.argv[2];
const file = path.join(packageRoot(), OPENAPI_FILE);
const generated = renderOpenApiDocument();

if (mode === "write") {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, generated);
  console.log(`wrote ${OPENAPI_FILE}`);
} else if (mode === "check") {
  const committed = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (committed !== generated) {
    console.error(
      `${OPENAPI_FILE} differs from what the router generates: run \`npm run openapi\` and commit it.`,
    );
    process.exit(1);
  }
  console.log(`${OPENAPI_FILE} matches the router`);
} else {
  console.error("usage: openapi.js write|check");
  process.exit(2);
}
