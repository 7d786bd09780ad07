// Test runner settings: unit, integration (real processes on loopback) and e2e (Chromium).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Two cores: integration tests start real processes; keep the suite from oversubscribing.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './tests/summary-reporter.ts'],
  },
});
