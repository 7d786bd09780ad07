// Keeps V8's optimizing compiler (TurboFan) off while the agent starts, and turns it back on once
// the agent runs. Imported first by the CLI, so it takes effect before any other module loads.
//
// Why: start-up code runs once (module bodies, building the protocol's zod schemas, the first
// TLS handshake), yet it is hot enough for TurboFan to compile, which leaves optimized code,
// deoptimization data and compiler memory behind in every agent (bench/lab/agent-memory.mjs:
// about 4 MB of RSS, 2 MB of it private, on an idle agent). Code that is hot for real later (the
// DNS filter's matcher, a filter-list load) is optimized as usual once the optimizer is back on.
// Set at run time rather than on the node command line, so it applies however the agent is
// launched (Windows service, systemd unit, the demo lab, tests) with nothing to keep in sync.
// `--turbofan` is read at each tier-up decision, so switching it at run time is safe.

import { setFlagsFromString } from 'node:v8';

let optimizerOff = false;

if (!process.execArgv.some((flag) => /^--(no-)?(opt|turbofan|jitless|lite-mode)$/.test(flag))) {
  // Respect an explicit choice on the command line (for measurements); otherwise start without it.
  setFlagsFromString('--no-turbofan');
  optimizerOff = true;
}

/** Turns the optimizing compiler back on (once start-up is over); harmless to call twice. */
export function startUpDone(): void {
  if (!optimizerOff) return;
  optimizerOff = false;
  setFlagsFromString('--turbofan');
}
