/** How a harness is launched: attached to a PTY the user can type into, or as a one-shot run. */
export type LaunchMode = "interactive" | "nonInteractive";

/**
 * Where an adapter came from: `"bundled"` for the adapters shipped with the daemon, otherwise the absolute
 * path of the operator manifest file that defined it.
 */
export type AdapterSource = "bundled" | string;

/** How the daemon starts one coding-agent CLI. Never a shell string: an executable name plus argv. */
export interface HarnessAdapter {
  /** Stable lowercase id clients send as `harness`. */
  id: string;
  /** Human-readable name. */
  label: string;
  /** A bare command name, looked up on `PATH` at launch time. Never a path, never a shell string. */
  executable: string;
  /** Fixed args placed before the prompt in interactive mode. */
  interactivePromptPrefixArgs: string[];
  /** Fixed args placed before the prompt in non-interactive mode. */
  nonInteractivePromptPrefixArgs: string[];
  /** When set (`--name` or `-x`), the prompt is passed bound to this flag instead of after `--`. */
  promptFlag?: string;
  /** Shown to the operator when the executable is not on `PATH`. */
  installHint?: string;
  source: AdapterSource;
}

/** A manifest (or manifest directory) that could not be loaded, in whole or in part. */
export interface AdapterProblem {
  /** The manifest file or directory path the problem is about. */
  source: string;
  /** A human message naming the file and, when known, the adapter entry and field that failed. */
  message: string;
}

export interface AdapterCatalog {
  /** Every usable adapter by id: bundled first, then operator adapters in load order. */
  adapters: ReadonlyMap<string, HarnessAdapter>;
  /** Everything that was skipped, and why. Loading never throws for a bad manifest. */
  problems: AdapterProblem[];
  get(id: string): HarnessAdapter | undefined;
}
