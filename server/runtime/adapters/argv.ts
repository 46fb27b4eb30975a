import { CovenError } from "../../errors.js";
import type { HarnessAdapter, LaunchMode } from "./types.js";

/**
 * The argv to pass AFTER the executable: the mode's fixed prefix args, then the prompt as exactly one
 * element so it is always data, never options and never shell text:
 *
 * - adapter with a long `promptFlag` (`--prompt`): `--prompt=<prompt>`;
 * - adapter with a short `promptFlag` (`-p`): `-p<prompt>` (the getopt/commander way to bind a value to a
 *   short flag; `-p=<prompt>` would hand many parsers the value `=<prompt>`);
 * - otherwise `--` then `<prompt>`, so a prompt starting with `-` is not parsed as an option.
 *
 * An empty prompt adds nothing (no flag, no `--`). A prompt containing a NUL byte cannot be one argv
 * element and is refused with `invalid_request`.
 */
export function buildHarnessArgv(adapter: HarnessAdapter, prompt: string, mode: LaunchMode): string[] {
  const prefix =
    mode === "interactive" ? adapter.interactivePromptPrefixArgs : adapter.nonInteractivePromptPrefixArgs;
  const argv = [...prefix];
  if (prompt === "") return argv;
  if (prompt.includes("\0")) {
    throw new CovenError("invalid_request", "The prompt may not contain NUL bytes.", {
      field: "prompt",
      reason: "nul_byte",
    });
  }
  const flag = adapter.promptFlag;
  if (flag === undefined || flag === "") {
    argv.push("--", prompt);
  } else if (flag.startsWith("--")) {
    argv.push(`${flag}=${prompt}`);
  } else {
    argv.push(`${flag}${prompt}`);
  }
  return argv;
}
