import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CovenError } from "../../errors.js";
import { bundledAdapters, isBundledAdapterId } from "./bundled.js";
import type { AdapterCatalog, AdapterProblem, HarnessAdapter } from "./types.js";

/** Env var naming one operator manifest file. */
export const ADAPTER_MANIFEST_ENV = "COVEN_HARNESS_ADAPTER_MANIFEST";
/** Env var listing directories (`:`-separated) whose `*.json` files are operator manifests. */
export const ADAPTER_DIRS_ENV = "COVEN_HARNESS_ADAPTER_DIRS";

/** Manifests larger than this are refused unread. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export const ADAPTER_ID_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;
/** Letters, digits, `.`, `_`, `+`, `-`; must start with a letter, digit or `_` (so never `.`/`..`/`-x`). */
export const EXECUTABLE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;
export const PROMPT_FLAG_PATTERN = /^(?:--[A-Za-z0-9][A-Za-z0-9_-]{0,62}|-[A-Za-z0-9])$/;

const MAX_PREFIX_ARGS = 64;
const MAX_ARG_LENGTH = 4096;

const prefixArgsSchema = z
  .array(
    z
      .string({ error: "must be a string" })
      .max(MAX_ARG_LENGTH, { error: `must be at most ${MAX_ARG_LENGTH} characters` })
      .refine((arg) => !arg.includes("\0"), { error: "must not contain NUL bytes" }),
    { error: "must be an array of strings" },
  )
  .max(MAX_PREFIX_ARGS, { error: `must have at most ${MAX_PREFIX_ARGS} elements` });

function executableIssue(value: string): string | null {
  if (value === "") return "must not be empty";
  if (value === "." || value === "..") return `must be a command name, not "${value}"`;
  if (value.includes("/") || value.includes("\\")) {
    return `must be a bare command name looked up on PATH, not a path (got ${JSON.stringify(value)})`;
  }
  if (/\s/.test(value)) {
    return `must be a bare command name, not a shell command line (got ${JSON.stringify(value)})`;
  }
  if (!EXECUTABLE_NAME_PATTERN.test(value)) {
    return (
      `must be a bare command name of letters, digits, '.', '_', '+' and '-' with no shell ` +
      `metacharacters, not starting with '.' or '-' (got ${JSON.stringify(value)})`
    );
  }
  return null;
}

/** One manifest entry after camelCase keys have been folded into snake_case. */
const manifestEntrySchema = z.strictObject({
  id: z.string({ error: "must be a string" }).regex(ADAPTER_ID_PATTERN, {
    error: "must match ^[a-z][a-z0-9._-]{0,63}$ (lowercase, starting with a letter)",
  }),
  label: z
    .string({ error: "must be a string" })
    .max(200, { error: "must be at most 200 characters" })
    .refine((label) => label.trim() !== "", { error: "must not be empty" }),
  executable: z.string({ error: "must be a string" }).superRefine((value, ctx) => {
    const issue = executableIssue(value);
    if (issue !== null) ctx.addIssue({ code: "custom", message: issue });
  }),
  interactive_prompt_prefix_args: prefixArgsSchema,
  non_interactive_prompt_prefix_args: prefixArgsSchema,
  prompt_flag: z
    .string({ error: "must be a string" })
    .regex(PROMPT_FLAG_PATTERN, { error: "must look like --name or -x" })
    .optional(),
  install_hint: z
    .string({ error: "must be a string" })
    .max(1000, { error: "must be at most 1000 characters" })
    .optional(),
});

type ManifestEntry = z.infer<typeof manifestEntrySchema>;
type CanonicalField = keyof ManifestEntry;

/** Accepted spellings of each entry field. */
const FIELD_ALIASES = new Map<string, CanonicalField>([
  ["id", "id"],
  ["label", "label"],
  ["executable", "executable"],
  ["interactive_prompt_prefix_args", "interactive_prompt_prefix_args"],
  ["interactivePromptPrefixArgs", "interactive_prompt_prefix_args"],
  ["non_interactive_prompt_prefix_args", "non_interactive_prompt_prefix_args"],
  ["nonInteractivePromptPrefixArgs", "non_interactive_prompt_prefix_args"],
  ["prompt_flag", "prompt_flag"],
  ["promptFlag", "prompt_flag"],
  ["install_hint", "install_hint"],
  ["installHint", "install_hint"],
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function formatIssuePath(pathParts: readonly PropertyKey[], spelled: ReadonlyMap<string, string>): string {
  let out = "";
  for (const part of pathParts) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const key = String(part);
      out += out === "" ? (spelled.get(key) ?? key) : `.${key}`;
    }
  }
  return out;
}

type EntryResult = { ok: true; entry: ManifestEntry } | { ok: false; message: string };

/** Folds aliases, then validates; error messages use the field names as the operator spelled them. */
function parseEntry(raw: unknown): EntryResult {
  if (!isPlainObject(raw)) return { ok: false, message: "must be an object" };
  const normalized: Partial<Record<CanonicalField, unknown>> = {};
  const spelled = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const canonical = FIELD_ALIASES.get(key);
    if (canonical === undefined) return { ok: false, message: `unknown field ${JSON.stringify(key)}` };
    const earlier = spelled.get(canonical);
    if (earlier !== undefined) {
      return {
        ok: false,
        message: `fields ${JSON.stringify(earlier)} and ${JSON.stringify(key)} both given`,
      };
    }
    spelled.set(canonical, key);
    normalized[canonical] = value;
  }
  const parsed = manifestEntrySchema.safeParse(normalized);
  if (parsed.success) return { ok: true, entry: parsed.data };
  const messages = parsed.error.issues.map((issue) => {
    const where = formatIssuePath(issue.path, spelled);
    const missing =
      issue.code === "invalid_type" && issue.path.length === 1 && !spelled.has(String(issue.path[0]));
    const message = missing ? "is required" : issue.message;
    return where === "" ? message : `field ${JSON.stringify(where)} ${message}`;
  });
  return { ok: false, message: messages.join("; ") };
}

function toAdapter(entry: ManifestEntry, source: string): HarnessAdapter {
  const adapter: HarnessAdapter = {
    id: entry.id,
    label: entry.label,
    executable: entry.executable,
    interactivePromptPrefixArgs: [...entry.interactive_prompt_prefix_args],
    nonInteractivePromptPrefixArgs: [...entry.non_interactive_prompt_prefix_args],
    source,
  };
  if (entry.prompt_flag !== undefined) adapter.promptFlag = entry.prompt_flag;
  if (entry.install_hint !== undefined) adapter.installHint = entry.install_hint;
  return adapter;
}

function errnoCode(error: unknown): string | undefined {
  return isPlainObject(error) && typeof error.code === "string" ? error.code : undefined;
}

function describeFsError(error: unknown): string {
  const code = errnoCode(error);
  if (code === "ENOENT" || code === "ENOTDIR") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "is not readable (permission denied)";
  return `could not be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

class CatalogBuilder {
  readonly adapters = new Map<string, HarnessAdapter>();
  readonly problems: AdapterProblem[] = [];
  private readonly loadedFiles = new Set<string>();

  constructor() {
    for (const adapter of bundledAdapters()) this.adapters.set(adapter.id, adapter);
  }

  problem(source: string, message: string): void {
    this.problems.push({ source, message });
  }

  loadFile(file: string, origin: string): void {
    const prefix = `Harness adapter manifest ${file}`;
    let text: string;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile()) {
        this.problem(file, `${prefix} (from ${origin}) is not a regular file.`);
        return;
      }
      if (stat.size > MAX_MANIFEST_BYTES) {
        this.problem(file, `${prefix} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
        return;
      }
      const real = fs.realpathSync.native(file);
      if (this.loadedFiles.has(real)) return; // Named twice (e.g. by the file var and a dir): load once.
      this.loadedFiles.add(real);
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      this.problem(file, `${prefix} (from ${origin}) ${describeFsError(error)}.`);
      return;
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.problem(file, `${prefix} is not valid JSON: ${detail}`);
      return;
    }
    if (!isPlainObject(json)) {
      this.problem(file, `${prefix} must be a JSON object of the form {"adapters": [...]}.`);
      return;
    }
    const entries = json.adapters;
    if (!Array.isArray(entries)) {
      this.problem(
        file,
        `${prefix}: field "adapters" ${entries === undefined ? "is required" : "must be an array"}.`,
      );
      return;
    }

    entries.forEach((raw: unknown, index) => {
      const rawId = isPlainObject(raw) && typeof raw.id === "string" ? raw.id : undefined;
      const where = `${prefix}: adapters[${index}]${rawId === undefined ? "" : ` (id ${JSON.stringify(rawId)})`}`;
      const result = parseEntry(raw);
      if (!result.ok) {
        this.problem(file, `${where}: ${result.message}.`);
        return;
      }
      const { id } = result.entry;
      if (isBundledAdapterId(id)) {
        this.problem(file, `${where}: field "id" may not shadow the bundled adapter ${JSON.stringify(id)}.`);
        return;
      }
      const existing = this.adapters.get(id);
      if (existing !== undefined) {
        this.problem(
          file,
          `${where}: field "id" duplicates the adapter already loaded from ${existing.source}; entry skipped.`,
        );
        return;
      }
      this.adapters.set(id, toAdapter(result.entry, file));
    });
  }

  loadDir(dir: string): void {
    let names: string[];
    try {
      if (!fs.statSync(dir).isDirectory()) {
        this.problem(dir, `Harness adapter directory ${dir} (from ${ADAPTER_DIRS_ENV}) is not a directory.`);
        return;
      }
      names = fs.readdirSync(dir);
    } catch (error) {
      this.problem(
        dir,
        `Harness adapter directory ${dir} (from ${ADAPTER_DIRS_ENV}) ${describeFsError(error)}.`,
      );
      return;
    }
    const manifests = names.filter((name) => name.endsWith(".json")).sort();
    for (const name of manifests) this.loadFile(path.join(dir, name), ADAPTER_DIRS_ENV);
  }

  build(): AdapterCatalog {
    const adapters = this.adapters;
    return {
      adapters,
      problems: this.problems,
      get: (id: string) => adapters.get(id),
    };
  }
}

/**
 * The bundled adapters plus those of operator manifests, which are only ever read from the locations the
 * environment names — the file `COVEN_HARNESS_ADAPTER_MANIFEST`, then every `*.json` (sorted by name) in
 * each `:`-separated directory of `COVEN_HARNESS_ADAPTER_DIRS` — never discovered implicitly. Relative
 * locations resolve against the daemon's cwd. A bad manifest never throws: it (or just the bad entry) is
 * recorded in `problems` and everything else still loads. The first definition of an id wins; bundled ids
 * cannot be shadowed.
 */
export function loadAdapterCatalog(env: NodeJS.ProcessEnv = process.env): AdapterCatalog {
  const builder = new CatalogBuilder();
  const manifest = env[ADAPTER_MANIFEST_ENV];
  if (manifest !== undefined && manifest !== "") {
    builder.loadFile(path.resolve(manifest), ADAPTER_MANIFEST_ENV);
  }
  const dirs = env[ADAPTER_DIRS_ENV];
  if (dirs !== undefined) {
    for (const dir of dirs.split(path.delimiter)) {
      if (dir !== "") builder.loadDir(path.resolve(dir));
    }
  }
  return builder.build();
}

/**
 * The adapter for a launch request's `harness`, or `invalid_request` (an unknown harness in a request body
 * is a bad request; `harness_not_found` is reserved for harness-scoped reads).
 */
export function requireHarnessAdapter(catalog: AdapterCatalog, harness: string): HarnessAdapter {
  const adapter = catalog.get(harness);
  if (adapter === undefined) {
    throw new CovenError("invalid_request", `Unknown harness ${JSON.stringify(harness)}.`, {
      field: "harness",
      harness,
      reason: "unknown_harness",
      known: [...catalog.adapters.keys()],
    });
  }
  return adapter;
}
