// Bundles the plugin into one ESM file, dist/index.js: the plugin's sources, the typed client of clients/core
// and its tRPC client. OpenClaw's SDK stays external (the host provides it), and so does `eventsource`, which
// clients/core loads lazily through createRequire (a runtime dependency of this package).

import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = performance.now();
const result = await build({
  entryPoints: [path.join(root, "src/index.ts")],
  outfile: path.join(root, "dist/index.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  sourcemap: true,
  external: ["openclaw", "openclaw/*", "eventsource"],
  // Type-only imports of the daemon's router and contract vanish; nothing of server/ may reach the bundle.
  metafile: true,
  logLevel: "warning",
  legalComments: "eof",
});
const inputs = Object.keys(result.metafile.inputs);
const repoRoot = path.resolve(root, "../..");
const leaked = inputs.filter((file) => {
  const relative = path.relative(repoRoot, path.resolve(process.cwd(), file));
  return relative.startsWith(`server${path.sep}`) || relative.startsWith(`contract${path.sep}`);
});
if (leaked.length > 0) {
  console.error(`build: the bundle must not contain daemon code, but includes:\n  ${leaked.join("\n  ")}`);
  process.exit(1);
}
const bytes = result.metafile.outputs[path.relative(process.cwd(), path.join(root, "dist/index.js"))]?.bytes;
console.log(
  `built dist/index.js (${inputs.length} inputs${bytes ? `, ${(bytes / 1024).toFixed(0)} KiB` : ""}) in ${Math.round(performance.now() - started)} ms`,
);
