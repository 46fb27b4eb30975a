import { API_VERSION, LEGACY_API_VERSION } from "../../contract/common.js";
import { ApiVersionSchema, type CapabilitiesFlags, HealthSchema } from "../../contract/health.js";
import { procedure } from "./trpc.js";

/**
 * Capabilities are honest: each flag is computed from what this process actually has wired. They advertise
 * availability, never permission (the contract's rule): over the read-only TCP listener they are the same, and
 * health's `tcp.readOnly` says that mutations are refused there.
 */
function capabilityFlags(): CapabilitiesFlags {
  return {
    sessions: true,
    events: true,
    eventCursor: "sequence",
    structuredErrors: true,
    travel: false,
    scheduler: false,
    hub: false,
    executorDispatch: false,
    sessionHandoff: false,
    sessionLaunchPolicy: false,
    afs: false,
    afsMount: false,
    afsCommit: false,
    afsCommitDryRun: false,
    executionBindingContracts: [],
    requestAdoptionContracts: [],
    sessionLaunch: true,
    liveEventStream: true,
    sessionArchive: true,
    terminalResize: true,
    openapi: true,
    trpc: true,
  };
}

/** Spread at the top of the app router: `health` and `apiVersion` are top-level procedures. */
export const systemProcedures = {
  health: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/health",
          status: 200,
          operationId: "getHealth",
          summary: "Handshake and health",
        },
      ],
      tags: ["system"],
      errors: [],
    })
    .output(HealthSchema)
    .query(({ ctx }) => {
      const { identity, ledger } = ctx.services;
      return {
        ok: true as const,
        apiVersion: API_VERSION,
        covenVersion: identity.version,
        capabilities: capabilityFlags(),
        daemon: { pid: identity.pid, startedAt: identity.startedAt, socket: identity.socketPath },
        tcp: identity.tcp && { ...identity.tcp, readOnly: true as const },
        eventWriter: ledger.writer.status(),
        storage: ctx.services.storage.current(),
      };
    }),

  apiVersion: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/api-version",
          status: 200,
          operationId: "getApiVersion",
          summary: "Legacy version probe (never proof of the named contract)",
        },
      ],
      tags: ["system"],
      errors: [],
    })
    .output(ApiVersionSchema)
    .query(() => ({ apiVersion: LEGACY_API_VERSION, supportedApiVersions: [LEGACY_API_VERSION] })),
};
