import type { AdapterProblem, Capability } from "../contract/capabilities.js";
import { type AdapterCatalog, loadAdapterCatalog, resolveExecutable } from "./runtime/adapters/index.js";

export const REFRESH_ACTION = "coven.capabilities.refresh";

/** The daemon's own catalog entries; harness entries are derived from the adapter catalog. */
const DAEMON_CAPABILITIES: Capability[] = [
  {
    id: "coven.daemon",
    label: "Coven daemon",
    adapter: "coven",
    status: "available",
    policy: "allow",
    actions: [REFRESH_ACTION],
  },
  {
    id: "coven.sessions",
    label: "Session ledger",
    adapter: "coven",
    status: "available",
    policy: "allow",
    actions: [],
  },
  {
    id: "coven.events",
    label: "Event log",
    adapter: "coven",
    status: "available",
    policy: "allow",
    actions: [],
  },
];

/**
 * Owns the adapter catalog (bundled + operator manifests) and answers which capabilities are available.
 * `refresh` re-reads the manifests and re-probes PATH, so an operator can install a harness without a restart.
 */
export class CapabilityService {
  private catalog: AdapterCatalog;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    this.catalog = loadAdapterCatalog(env);
  }

  get adapters(): AdapterCatalog {
    return this.catalog;
  }

  refresh(): AdapterCatalog {
    this.catalog = loadAdapterCatalog(this.env);
    return this.catalog;
  }

  list(): { capabilities: Capability[]; adapterProblems: AdapterProblem[] } {
    const harnesses: Capability[] = [...this.catalog.adapters.values()].map((adapter) => ({
      id: `harness.${adapter.id}`,
      label: adapter.label,
      adapter: adapter.id,
      // A harness is available when its executable is on the daemon's PATH right now.
      status: resolveExecutable(adapter.executable, this.env.PATH ?? "") ? "available" : "planned",
      policy: "allow",
      actions: [],
    }));
    return { capabilities: [...DAEMON_CAPABILITIES, ...harnesses], adapterProblems: this.catalog.problems };
  }

  isKnownAction(action: string): boolean {
    return this.list().capabilities.some((capability) => capability.actions.includes(action));
  }
}
