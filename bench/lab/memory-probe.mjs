// Diagnostic preload for agent-memory.mjs: on SIGUSR2 the agent writes its V8 heap figures to
// the file named by SAFELAB_MEMORY_PROBE_OUT. A signal handler wakes nothing while idle.
// Usage: node --import ./bench/lab/memory-probe.mjs dist/agent/cli.js run …

import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.SAFELAB_MEMORY_PROBE_OUT;
if (out) {
  process.on('SIGUSR2', () => {
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { sizeMB: s.space_size / 2 ** 20, usedMB: s.space_used_size / 2 ** 20 }]),
    );
    const m = process.memoryUsage();
    writeFileSync(
      out,
      JSON.stringify({
        heapTotalMB: m.heapTotal / 2 ** 20,
        heapUsedMB: m.heapUsed / 2 ** 20,
        externalMB: m.external / 2 ** 20,
        arrayBuffersMB: m.arrayBuffers / 2 ** 20,
        spaces,
        codeMB: (v8.getHeapCodeStatistics().code_and_metadata_size ?? 0) / 2 ** 20,
      }),
    );
  });
}
