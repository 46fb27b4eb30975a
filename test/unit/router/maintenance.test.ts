import { describe, expect, it } from "vitest";
import { appRouter } from "../../../server/router/index.js";
import type { RequestContext } from "../../../server/router/trpc.js";
import type { DaemonServices } from "../../../server/services.js";

describe("maintenance procedures", () => {
  it.each(["prune", "vacuum"] as const)(
    "%s is owner-only: refused over TCP before touching the ledger",
    async (name) => {
      const ctx: RequestContext = {
        // Never reached: the refusal comes first.
        services: {} as DaemonServices,
        transport: "tcp",
        setStatus: () => {},
      };
      const caller = appRouter.createCaller(ctx);
      await expect(caller.maintenance[name]()).rejects.toMatchObject({ code: "FORBIDDEN" });
    },
  );
});
