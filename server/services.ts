import type { CapabilityService } from "./capabilities.js";
import type { TcpListenerConfig } from "./http/tcp-guard.js";
import type { EventFeed } from "./ledger/event-feed.js";
import type { Ledger } from "./ledger/ledger.js";
import type { LedgerMaintenance } from "./ledger/maintenance.js";
import type { StorageMonitor } from "./ledger/storage.js";
import type { Redactor } from "./privacy/redactor.js";
import type { SessionRuntime } from "./runtime/session-runtime.js";

/** Facts about this daemon process, fixed at start. */
export interface DaemonIdentity {
  pid: number;
  startedAt: string;
  socketPath: string;
  covenHome: string;
  version: string;
  /** The loopback TCP listener, when the operator asked for one. */
  tcp: TcpListenerConfig | null;
}

/** Everything a procedure may use; built once per daemon and handed to every request's context. */
export interface DaemonServices {
  identity: DaemonIdentity;
  ledger: Ledger;
  capabilities: CapabilityService;
  redactor: Redactor;
  runtime: SessionRuntime;
  eventFeed: EventFeed;
  storage: StorageMonitor;
  /** Retention (prune), WAL checkpoints and vacuum of the ledger. */
  maintenance: LedgerMaintenance;
}
