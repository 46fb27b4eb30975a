import { PruneRequestSchema, PruneResultSchema, VacuumResultSchema } from "../../contract/maintenance.js";
import { procedure, router } from "./trpc.js";

/** Operator upkeep of the ledger. Owner-only: refused (403) over the loopback TCP listener. */
export const maintenanceRouter = router({
  prune: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/maintenance/prune",
          status: 200,
          operationId: "pruneEvents",
          summary:
            "Delete (or, with dryRun, count) events recorded before the cutoff (default: log_retention_days), " +
            "except those of live sessions; records last_prune_at",
        },
      ],
      tags: ["maintenance"],
      errors: ["forbidden"],
      ownerOnly: true,
    })
    .input(PruneRequestSchema.optional())
    .output(PruneResultSchema)
    .mutation(({ ctx, input = {} }) => ctx.services.maintenance.prune(input)),

  vacuum: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/maintenance/vacuum",
          status: 200,
          operationId: "vacuumLedger",
          summary: "WAL checkpoint and VACUUM of the ledger, run alone between writer transactions",
        },
      ],
      tags: ["maintenance"],
      errors: ["forbidden"],
      ownerOnly: true,
    })
    .output(VacuumResultSchema)
    .mutation(({ ctx }) => ctx.services.maintenance.vacuum()),
});
