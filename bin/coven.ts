#!/usr/bin/env node
/**
 * The `coven` executable: the one place that puts the client commands (`clients/cli`, which only ask the daemon)
 * and the host commands (`server/daemon/commands`, which run the daemon and work on its home) into one program.
 * Keeping this composition outside both is what lets `clients/` never load `server/` code.
 */
import { fileURLToPath } from "node:url";
import { createProgram, registerClientCommands, runProgram } from "../clients/cli/program.js";
import { registerHostCommands } from "../server/daemon/commands/index.js";

const program = createProgram();
registerHostCommands(program, { cliEntry: fileURLToPath(import.meta.url) });
registerClientCommands(program);
await runProgram(program);
