import {
  ActionRejectedSchema,
  ActionRequestSchema,
  ActionResponseSchema,
  CapabilityCatalogSchema,
} from "../../contract/capabilities.js";
import { REFRESH_ACTION } from "../capabilities.js";
import { CovenError } from "../errors.js";
import { procedure, router } from "./trpc.js";

export const capabilitiesRouter = router({
  list: procedure
    .meta({
      rest: [
        {
          method: "GET",
          path: "/capabilities",
          status: 200,
          operationId: "listCapabilities",
          summary: "Capability catalog (daemon entries, harness adapters, manifest problems)",
        },
      ],
      tags: ["capabilities"],
      errors: [],
    })
    .output(CapabilityCatalogSchema)
    .query(({ ctx }) => ctx.services.capabilities.list()),
});

export const actionsRouter = router({
  run: procedure
    .meta({
      rest: [
        {
          method: "POST",
          path: "/actions",
          status: 200,
          operationId: "runAction",
          summary: "Run a catalog action",
        },
      ],
      tags: ["capabilities"],
      errors: ["invalid_request"],
      errorBodies: { 400: ActionRejectedSchema },
    })
    .input(ActionRequestSchema)
    .output(ActionResponseSchema)
    .mutation(({ ctx, input }) => {
      const { capabilities } = ctx.services;
      // Fail closed: only ids in the catalog run; anything else is refused with the legacy rejection too.
      if (!capabilities.isKnownAction(input.action)) {
        const reason = `Action ${JSON.stringify(input.action)} is not in the capability catalog.`;
        throw new CovenError(
          "invalid_request",
          reason,
          { action: input.action },
          { ok: false, accepted: false, action: input.action, status: "rejected", reason },
        );
      }
      // REFRESH_ACTION is the only catalog action today.
      const catalog = capabilities.refresh();
      return {
        ok: true as const,
        accepted: true as const,
        action: input.action,
        status: "completed" as const,
        event: {
          kind: "capabilities.refreshed",
          action: REFRESH_ACTION,
          origin: input.origin ?? null,
          intentId: input.intentId ?? null,
          payload: { adapters: catalog.adapters.size, adapterProblems: catalog.problems.length },
        },
      };
    }),
});
