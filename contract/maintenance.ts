import { z } from "zod";
import { Timestamp } from "./common.js";

export const PruneRequestSchema = z
  .strictObject({
    dryRun: z
      .boolean()
      .optional()
      .meta({ description: "count the events that would be pruned, delete nothing" }),
    olderThanDays: z
      .number()
      .min(0)
      .max(36_500)
      .optional()
      .meta({
        description:
          "prune events recorded more than this many days ago (fractions allowed; 0 = everything up to now); " +
          "default: the daemon's log_retention_days",
      }),
  })
  .meta({ id: "PruneRequest" });
export type PruneRequest = z.infer<typeof PruneRequestSchema>;

export const PruneResultSchema = z
  .object({
    dryRun: z.boolean(),
    cutoff: Timestamp.meta({ description: "events recorded before this instant were matched" }),
    events: z.number().int().min(0).meta({
      description: "events deleted (or, with dryRun, that would be); live sessions' events are kept",
    }),
  })
  .meta({ id: "PruneResult" });
export type PruneResult = z.infer<typeof PruneResultSchema>;

export const VacuumResultSchema = z
  .object({
    ok: z.literal(true),
    bytesBefore: z.number().int().min(0).meta({ description: "database file plus WAL, before" }),
    bytesAfter: z.number().int().min(0).meta({ description: "database file plus WAL, after" }),
  })
  .meta({ id: "VacuumResult" });
export type VacuumResult = z.infer<typeof VacuumResultSchema>;
