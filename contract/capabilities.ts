import { z } from "zod";

export const CapabilitySchema = z
  .object({
    id: z.string(),
    label: z.string(),
    adapter: z.string(),
    status: z.enum(["available", "planned"]),
    policy: z.enum(["allow", "requiresApproval"]),
    actions: z.array(z.string()),
  })
  .meta({ id: "Capability" });

export const AdapterProblemSchema = z
  .object({ source: z.string(), message: z.string() })
  .meta({ id: "AdapterProblem", description: "An operator adapter manifest that could not be loaded." });

export const CapabilityCatalogSchema = z
  .object({
    capabilities: z.array(CapabilitySchema),
    adapterProblems: z.array(AdapterProblemSchema),
  })
  .meta({ id: "CapabilityCatalog" });

export const ActionRequestSchema = z
  .strictObject({
    action: z.string().min(1).max(256),
    origin: z.string().max(256).optional(),
    intentId: z.string().max(256).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "ActionRequest" });

export const ActionResponseSchema = z
  .object({
    ok: z.literal(true),
    accepted: z.literal(true),
    action: z.string(),
    status: z.literal("completed"),
    event: z.object({
      kind: z.string(),
      action: z.string(),
      origin: z.string().nullable(),
      intentId: z.string().nullable(),
      payload: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: "ActionResponse" });

/** The fail-closed answer to an unknown action: the error envelope plus the legacy rejection fields. */
export const ActionRejectedSchema = z
  .object({
    ok: z.literal(false),
    accepted: z.literal(false),
    action: z.string(),
    status: z.literal("rejected"),
    reason: z.string(),
    error: z.object({
      code: z.literal("invalid_request"),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "ActionRejected" });

export type Capability = z.infer<typeof CapabilitySchema>;
export type AdapterProblem = z.infer<typeof AdapterProblemSchema>;
export type ActionRequest = z.infer<typeof ActionRequestSchema>;
