// Options of the console run command, shared by web mode and the Electron shell.
import { describe, expect, it } from 'vitest';
import { parseConsoleArgs } from '../../../src/main/console-args.js';

describe('console arguments', () => {
  it('uses the fixed default ports and starts the demo lab unless told not to', () => {
    const args = parseConsoleArgs(['--data-dir', '/srv/safelab'], {});
    expect(args).toMatchObject({ dataDir: '/srv/safelab', agentPort: 47100, apiPort: 47101, demo: true, web: false });
    expect(parseConsoleArgs(['--no-demo', '--web'], {})).toMatchObject({ demo: false, web: true });
  });

  it('reads ports, host and thumbnail period in both --flag value and --flag=value forms', () => {
    expect(parseConsoleArgs(['--agent-port', '0', '--api-port=0', '--agent-host', '127.0.0.1', '--thumbnail-interval-ms=500'], {})).toMatchObject({
      agentPort: 0,
      apiPort: 0,
      agentHost: '127.0.0.1',
      thumbnailIntervalMs: 500,
    });
  });

  it('refuses nonsense values with a message naming the option', () => {
    expect(() => parseConsoleArgs(['--agent-port', 'abc'], {})).toThrow(/--agent-port/);
    expect(() => parseConsoleArgs(['--api-port', '70000'], {})).toThrow(/--api-port/);
    expect(() => parseConsoleArgs(['--thumbnail-interval-ms', '5'], {})).toThrow(/--thumbnail-interval-ms/);
  });

  it('ignores switches Electron and Chromium add', () => {
    expect(() => parseConsoleArgs(['--no-sandbox', '--enable-logging'], {})).not.toThrow();
  });
});
