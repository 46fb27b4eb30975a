import { z } from "zod";
import { Timestamp } from "./common.js";

export const CapabilitiesFlagsSchema = z
  .object({
    sessions: z.boolean(),
    events: z.boolean(),
    eventCursor: z.literal("sequence"),
    structuredErrors: z.boolean(),
    travel: z.boolean(),
    scheduler: z.boolean(),
    hub: z.boolean(),
    executorDispatch: z.boolean(),
    sessionHandoff: z.boolean(),
    sessionLaunchPolicy: z.boolean(),
    afs: z.boolean(),
    afsMount: z.boolean(),
    afsCommit: z.boolean(),
    afsCommitDryRun: z.boolean(),
    executionBindingContracts: z.array(z.string()),
    requestAdoptionContracts: z.array(z.string()),
    // Additive capabilities of ours: a client branches on these before using the routes they name.
    sessionLaunch: z.boolean().meta({ description: "launch, input and kill of PTY sessions work" }),
    liveEventStream: z.boolean().meta({ description: "server-sent events / tRPC subscription of events" }),
    sessionArchive: z
      .boolean()
      .meta({ description: "archive, summon and sacrifice routes, and resolve of abbreviated session ids" }),
    terminalResize: z.boolean().meta({ description: "resize route for live sessions" }),
    openapi: z.boolean().meta({ description: "GET /api/v1/openapi.json serves this contract" }),
    trpc: z.boolean().meta({ description: "the same procedures over tRPC at /trpc" }),
  })
  .meta({ id: "HealthCapabilities" });

export const EventWriterStatusSchema = z
  .object({
    state: z.enum(["healthy", "pressured", "failed"]),
    queuedEvents: z.number().int(),
    queuedBytes: z.number().int(),
    capacityBytes: z.number().int(),
    droppedOutputEvents: z.number().int(),
    droppedOutputBytes: z.number().int(),
    transactions: z.number().int(),
    committedEvents: z.number().int(),
    busyRetries: z.number().int(),
    lastError: z.string().optional(),
  })
  .meta({ id: "EventWriterStatus" });

export const WalCheckpointStatusSchema = z
  .object({
    mode: z.enum(["background", "inline"]).meta({
      description:
        "background: a separate thread checkpoints the WAL; inline: SQLite checkpoints while committing (the fallback)",
    }),
    completed: z.number().int().meta({ description: "background checkpoints that copied WAL frames back" }),
    lastAt: Timestamp.nullable(),
    lastError: z.string().optional(),
  })
  .meta({ id: "WalCheckpointStatus" });

export const StorageStatusSchema = z
  .object({
    status: z.enum(["ok", "warning", "critical", "degraded"]),
    databaseBytes: z.number().int(),
    walBytes: z.number().int(),
    freeDiskBytes: z.number().int(),
    oldestRetainedEventAt: Timestamp.nullable(),
    lastPruneAt: Timestamp.nullable(),
    maintenanceBlocked: z.boolean(),
    walCheckpoint: WalCheckpointStatusSchema,
  })
  .meta({ id: "StorageStatus" });

export const HealthSchema = z
  .object({
    ok: z.literal(true),
    apiVersion: z.literal("coven.daemon.v1"),
    covenVersion: z.string(),
    capabilities: CapabilitiesFlagsSchema,
    daemon: z.object({ pid: z.number().int(), startedAt: Timestamp, socket: z.string() }),
    tcp: z
      .object({
        host: z.string(),
        port: z.number().int(),
        allowedHosts: z.array(z.string()),
        allowedOrigins: z.array(z.string()),
        readOnly: z
          .literal(true)
          .meta({ description: "mutations and owner-only routes answer 403 over TCP" }),
      })
      .nullable()
      .meta({ description: "the loopback TCP listener, when the operator started one (--tcp)" }),
    eventWriter: EventWriterStatusSchema,
    storage: StorageStatusSchema,
  })
  .meta({ id: "Health", description: "The handshake: always 200 while the daemon serves." });

export const ApiVersionSchema = z
  .object({ apiVersion: z.literal("v1"), supportedApiVersions: z.array(z.string()) })
  .meta({ id: "ApiVersion" });

export type Health = z.infer<typeof HealthSchema>;
export type CapabilitiesFlags = z.infer<typeof CapabilitiesFlagsSchema>;
export type EventWriterStatus = z.infer<typeof EventWriterStatusSchema>;
export type StorageStatus = z.infer<typeof StorageStatusSchema>;
export type WalCheckpointStatus = z.infer<typeof WalCheckpointStatusSchema>;
