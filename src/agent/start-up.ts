// V8 settings for a small, long-running agent, applied by the agent itself before its other
// modules load (the CLI entry imports this first), so they hold however the agent is launched —
// Windows service, systemd unit, the demo lab, tests — with no node flags to keep in sync.
// Measured with bench/lab/agent-memory.mjs; see BENCHMARKS.md ("Lab: agents and console").
//
// 1. The young generation never grows. V8 doubles the young generation (up to 16 MB) when
//    start-up or a burst of work allocates quickly, and only shrinks it in a full garbage
//    collection — which an idle agent, allocating almost nothing, never triggers. Without this,
//    some idle agents kept 9 MB more than others for as long as they ran. A 1 MB semi-space
//    costs a few more (sub-millisecond) scavenges during bursts.
// 2. No optimizing compiler (TurboFan) during start-up. Start-up code runs once (module bodies,
//    building the protocol's zod schemas, the first handshake) yet is hot enough to be
//    optimized, which leaves optimized code, deoptimization data and compiler memory behind.
//    The optimizer comes back once the agent runs, so code that is hot for real later (the DNS
//    filter's matcher, a filter-list load: 8x slower without it) is optimized as usual.
// Both flags are read by V8 at each decision (growing the young generation, tiering a function
// up), so setting them at run time takes effect; flags given on the node command line win.

import { setFlagsFromString } from 'node:v8';

const given = (pattern: RegExp): boolean => process.execArgv.some((flag) => pattern.test(flag));

if (!given(/^--(semi-space-growth-factor|max-semi-space-size|min-semi-space-size)\b/)) setFlagsFromString('--semi-space-growth-factor=1');

let optimizerOff = false;
if (!given(/^--(no-)?(opt|turbofan|jitless|lite-mode)$/)) {
  setFlagsFromString('--no-turbofan');
  optimizerOff = true;
}

/** Start-up is over: the optimizing compiler is back on. Harmless to call twice. */
export function startUpDone(): void {
  if (!optimizerOff) return;
  optimizerOff = false;
  setFlagsFromString('--turbofan');
}
