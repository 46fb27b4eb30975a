import type { HarnessAdapter } from "./types.js";

/** Ids of the adapters shipped with the daemon; operator manifests may not reuse them. */
export const BUNDLED_ADAPTER_IDS = ["codex", "claude", "copilot"] as const;

export type BundledAdapterId = (typeof BUNDLED_ADAPTER_IDS)[number];

/**
 * The adapters shipped with the daemon, freshly built on every call so a catalog's adapters can never be
 * mutated into another catalog.
 */
export function bundledAdapters(): HarnessAdapter[] {
  return [
    {
      id: "codex",
      label: "Codex",
      executable: "codex",
      interactivePromptPrefixArgs: [],
      nonInteractivePromptPrefixArgs: ["exec", "--skip-git-repo-check", "--color", "never"],
      installHint: "npm install -g @openai/codex",
      source: "bundled",
    },
    {
      id: "claude",
      label: "Claude Code",
      executable: "claude",
      interactivePromptPrefixArgs: [],
      nonInteractivePromptPrefixArgs: ["--print"],
      installHint: "npm install -g @anthropic-ai/claude-code",
      source: "bundled",
    },
    {
      id: "copilot",
      label: "GitHub Copilot CLI",
      executable: "copilot",
      interactivePromptPrefixArgs: [],
      nonInteractivePromptPrefixArgs: [],
      promptFlag: "--prompt",
      installHint: "npm install -g @github/copilot",
      source: "bundled",
    },
  ];
}

export function isBundledAdapterId(id: string): id is BundledAdapterId {
  return (BUNDLED_ADAPTER_IDS as readonly string[]).includes(id);
}
