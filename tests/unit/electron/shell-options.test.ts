// The desktop shell reads the same flags as the web start, from Electron's argv, and ignores Chromium's switches.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultAgentPort, defaultApiPort } from '../../../src/main/console-args.js';
import { shellCommand, userArgs } from '../../../src/main/electron/shell-options.js';

const env = { HOME: '/home/teacher', XDG_DATA_HOME: '/home/teacher/.local/share' };

describe('shell command line', () => {
  it('skips the app path of a development run but only the executable of a packaged app', () => {
    expect(userArgs(['/opt/electron', '.', '--no-demo'], true)).toEqual(['--no-demo']);
    expect(userArgs(['C:\\SafeLab\\SafeLab.exe', '--no-demo'], false)).toEqual(['--no-demo']);
  });

  it('starts the console as the electron shell with the demo lab and default ports when given no flags', () => {
    const command = shellCommand([], env);
    expect(command).toEqual({
      kind: 'run',
      options: { dataDir: path.resolve('/home/teacher/.local/share/safelab'), agentPort: defaultAgentPort, apiPort: defaultApiPort, shell: 'electron', demo: true },
    });
  });

  it('reads --data-dir, --agent-port, --api-port and --no-demo in both spellings, among Chromium switches', () => {
    const command = shellCommand(['--no-sandbox', '--data-dir', '/srv/safelab', '--agent-port=47200', '--enable-logging', '--api-port', '0', '--no-demo'], env);
    expect(command).toEqual({
      kind: 'run',
      options: { dataDir: path.resolve('/srv/safelab'), agentPort: 47200, apiPort: 0, shell: 'electron', demo: false },
    });
  });

  it('lets SAFELAB_DATA_DIR choose the data folder when --data-dir is absent', () => {
    const command = shellCommand([], { ...env, SAFELAB_DATA_DIR: '/data/lab-a' });
    expect(command.kind === 'run' && command.options.dataDir).toBe(path.resolve('/data/lab-a'));
  });

  it('refuses a port that is not a port, naming the flag', () => {
    expect(() => shellCommand(['--agent-port', '70000'], env)).toThrow(/--agent-port/);
    expect(() => shellCommand(['--api-port=abc'], env)).toThrow(/--api-port/);
    expect(() => shellCommand(['--data-dir'], env)).toThrow(/--data-dir/);
  });

  it('answers --help with the usage instead of starting', () => {
    expect(shellCommand(['--help'], env)).toEqual({ kind: 'help' });
  });
});
