// Starts the mute-agent fixture (authenticates, never acknowledges) as a real process.
import path from 'node:path';
import { projectRoot } from './paths.js';
import { spawnTracked } from './processes.js';
import type { RawMachine } from './raw-agent.js';
import { RunningAgent } from './real-agent.js';

export async function startMuteAgent(agentUrl: string, machine: RawMachine): Promise<RunningAgent> {
  const script = path.join(projectRoot, 'tests', 'integration', 'console', 'fixtures', 'mute-agent.mjs');
  const child = spawnTracked(process.execPath, [script, agentUrl], {
    env: { ...process.env, MACHINE_ID: machine.machineId, PRIVATE_KEY: machine.keyPair.privateKey },
  });
  const agent = new RunningAgent(child, machine.hostname);
  await agent.log.waitFor(/^ready$/, 10_000);
  return agent;
}
