#!/usr/bin/env node
// Entry point of the agent (`node dist/agent/cli.js enrol|run|status`): sets the start-up
// compiler flags first, then loads the command line. The import is dynamic on purpose: static
// imports are all loaded (resolved, read, parsed) before any module body runs, and loading the
// agent's ~150 modules is itself start-up work (see start-up.ts).

import './start-up.js';

await import('./command-line.js');
