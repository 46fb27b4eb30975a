/**
 * Types for `openclaw/plugin-sdk/acp-runtime`.
 *
 * In openclaw 2026.9.6 that subpath is a JavaScript-only runtime export (package.json `exports` gives it no
 * `types`): the SDK docs call it a private-local subpath whose declarations are excluded from the package.
 * The declarations themselves still ship, inside the package's declaration chunks, because other typed
 * surfaces reference them. This facade re-exports those real declarations (the `AcpRuntime` contract from
 * `packages/acp-core/src/runtime/types`, and `AcpRuntimeError`), so the plugin type-checks against the
 * exact interfaces OpenClaw compiles against rather than a hand-copied guess. The chunk file names are
 * content-hashed; the openclaw dev dependency is pinned to the exact version these names belong to.
 *
 * Only the backend registry's shape (`{ id, runtime, healthy? }`) and the manager facade are described by
 * hand: openclaw ships no declaration for them. They are read from `dist/registry-*.mjs` and
 * `dist/manager-*.mjs` of the same version, and `test/unit/sdk-surface.test.ts` checks the runtime exports.
 */
import type {
  ot as AcpRuntime,
  st as AcpRuntimeCapabilities,
  ct as AcpRuntimeDoctorReport,
  lt as AcpRuntimeEnsureInput,
  ut as AcpRuntimeEvent,
  dt as AcpRuntimeHandle,
  ft as AcpRuntimeStatus,
  pt as AcpRuntimeTurnInput,
  mt as AcpSessionUpdateTag,
} from "../node_modules/openclaw/dist/types.openclaw-mR7pAsVG.js";

export {
  At as AcpRuntimeError,
  jt as AcpRuntimeErrorCode,
} from "../node_modules/openclaw/dist/runtime-api-CkahAQr_.js";
export type {
  AcpRuntime,
  AcpRuntimeCapabilities,
  AcpRuntimeDoctorReport,
  AcpRuntimeEnsureInput,
  AcpRuntimeEvent,
  AcpRuntimeHandle,
  AcpRuntimeStatus,
  AcpRuntimeTurnInput,
  AcpSessionUpdateTag,
};

/** The value `startTurn` returns (not exported by name from the chunk, derived from the real interface). */
export type AcpRuntimeTurn = ReturnType<NonNullable<AcpRuntime["startTurn"]>>;
/** The terminal result of a turn. */
export type AcpRuntimeTurnResult = Awaited<AcpRuntimeTurn["result"]>;

/** A registered backend, as `registerAcpRuntimeBackend` stores it (src/acp/runtime/registry.ts). */
export interface AcpRuntimeBackend {
  id: string;
  runtime: AcpRuntime;
  /** Asked before the backend is chosen; a throwing or false answer marks it unavailable. */
  healthy?: () => boolean;
}

/** Registers or replaces a backend by normalized (lowercased) id. */
export declare function registerAcpRuntimeBackend(backend: AcpRuntimeBackend): void;
export declare function unregisterAcpRuntimeBackend(id: string): void;
/** The backend registered under `id`, or (without an id) the first healthy one; null when none. */
export declare function getAcpRuntimeBackend(id?: string): AcpRuntimeBackend | null;
/** Like `getAcpRuntimeBackend`, but throws `AcpRuntimeError` (ACP_BACKEND_MISSING / _UNAVAILABLE). */
export declare function requireAcpRuntimeBackend(id?: string): AcpRuntimeBackend;
/** Whether a value is an AcpRuntimeError, including one from another copy of the SDK (matched by code). */
export declare function isAcpRuntimeError(value: unknown): boolean;

/** The process-wide ACP session manager (src/acp/control-plane/manager.ts); used by the end-to-end test. */
export interface AcpSessionManagerFacade {
  initializeSession(input: {
    cfg: unknown;
    sessionKey: string;
    agent: string;
    mode: "persistent" | "oneshot";
    cwd?: string;
    backendId?: string;
  }): Promise<{ handle: AcpRuntimeHandle; [key: string]: unknown }>;
  runTurn(input: {
    cfg: unknown;
    sessionKey: string;
    text: string;
    mode: "prompt" | "steer";
    requestId: string;
    onEvent?: (event: AcpRuntimeEvent) => void | Promise<void>;
    signal?: AbortSignal;
    [key: string]: unknown;
  }): Promise<void>;
  getSessionStatus(params: { cfg: unknown; sessionKey: string; [key: string]: unknown }): Promise<unknown>;
  closeSession(input: {
    cfg: unknown;
    sessionKey: string;
    reason: string;
    [key: string]: unknown;
  }): Promise<unknown>;
}
export declare function getAcpSessionManager(): AcpSessionManagerFacade;
