import { actionsRouter, capabilitiesRouter } from "./capabilities.js";
import { eventsRouter } from "./events.js";
import { maintenanceRouter } from "./maintenance.js";
import { sessionsRouter } from "./sessions.js";
import { systemProcedures } from "./system.js";
import { router } from "./trpc.js";

export const appRouter = router({
  ...systemProcedures,
  capabilities: capabilitiesRouter,
  actions: actionsRouter,
  sessions: sessionsRouter,
  events: eventsRouter,
  maintenance: maintenanceRouter,
});

/** The only thing clients import from the server: the router's type. */
export type AppRouter = typeof appRouter;
