// The README is the newcomer's manual: every npm script is listed, and the agent commands it
// shows are the ones the console prints for IT staff.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentCommands } from '../../../src/shared/api/agent-command.js';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

describe('README', () => {
  it('lists every npm script in its Scripts table', () => {
    const table = readme.slice(readme.indexOf('## Scripts'), readme.indexOf('\n## ', readme.indexOf('## Scripts') + 1));
    const listed = [...table.matchAll(/^\| `npm (?:run )?([\w:-]+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(scripts.sort());
  });

  it('shows the same agent commands the console prints', () => {
    const commands = agentCommands('wss://<console-PC>:47100/agent', 'K7Q2-M9XD-4HTB');
    expect(readme).toContain(commands.withCode);
    expect(readme).toContain(commands.withFile);
    expect(readme).toContain(commands.run);
  });
});
