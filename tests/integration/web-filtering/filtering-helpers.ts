// Helpers for the web-filtering integration tests: real agents with their DNS filter on a free
// loopback port, DNS questions from Node's resolver and from dig, and a build-freshness check that
// also covers the filtering code the generic check skips.
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { assertBuilt, builtFile, projectRoot } from '../helpers/paths.js';
import { spawnTracked } from '../helpers/processes.js';
import { RunningAgent } from '../helpers/real-agent.js';

/** assertBuilt, plus the folders it skips that these tests run (console filtering, agent DNS). */
export function assertFilteringBuilt(): void {
  assertBuilt();
  const stale: string[] = [];
  for (const area of ['main/web-filtering', 'main/filtering', 'shared/filtering', 'agent/dns', 'shared/api']) {
    const dist = path.join(projectRoot, 'dist', area);
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run "npx tsc -p tsconfig.build.json" first`);
    for (const name of readdirSync(dist).filter((n) => n.endsWith('.js'))) {
      const source = path.join(projectRoot, 'src', area, name.replace(/\.js$/, '.ts'));
      if (existsSync(source) && statSync(source).mtimeMs > statSync(path.join(dist, name)).mtimeMs + 1000) stale.push(source);
    }
  }
  if (stale.length > 0) throw new Error(`dist is older than ${stale.slice(0, 3).join(', ')}: run "npx tsc -p tsconfig.build.json" first`);
}

/** A real agent (simulated desktop) whose DNS filter listens on a free loopback port and forwards to `upstreamPort`. */
export class FilteringAgent {
  constructor(readonly agent: RunningAgent) {}

  static start(options: { dataDir: string; hostname: string; upstreamPort: number }): FilteringAgent {
    const child = spawnTracked(
      process.execPath,
      [
        builtFile('agent/cli.js'),
        'run',
        '--platform',
        'simulated',
        '--data-dir',
        options.dataDir,
        '--hostname',
        options.hostname,
        '--dns-listen',
        '127.0.0.1:0',
        '--dns-upstream',
        `127.0.0.1:${options.upstreamPort}`,
      ],
      { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '' } },
    );
    return new FilteringAgent(new RunningAgent(child, options.hostname));
  }

  /** The port its DNS filter listens on (from its own log line). */
  async dnsPort(): Promise<number> {
    const line = await this.agent.log.waitFor(/dns-listening/, 15_000);
    const match = /127\.0\.0\.1#(\d+)/.exec(line);
    if (!match) throw new Error(`no port in ${line}`);
    return Number(match[1]);
  }
}

/** A's for `name` from the filter at `port` (Node's resolver, UDP), or the error code. */
export async function resolve4(port: number, name: string): Promise<string[] | string> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    return await resolver.resolve4(name);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

/** The A answers dig gets from the filter at `port` (bounded: one try, 2 s, killed after 6 s). */
export function digA(port: number, name: string, transport: 'udp' | 'tcp' = 'udp'): Promise<string[]> {
  const args = ['@127.0.0.1', '-p', String(port), name, 'A', transport === 'tcp' ? '+tcp' : '+notcp', '+time=2', '+tries=1', '+short'];
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: 6000 }, (error, stdout) => {
      if (error && !stdout) return reject(error);
      resolve(
        stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith(';')),
      );
    });
  });
}
