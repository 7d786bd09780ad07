// Command-line options of the console run command (web mode and the Electron shell alike).

import { dataDirEnvVar, resolveConsoleDataDir } from './data-dir.js';

export const defaultAgentPort = 47100;
export const defaultApiPort = 47101;

export interface ConsoleArgs {
  dataDir: string;
  agentPort: number;
  apiPort: number;
  /** Interface the agent hub listens on; undefined = all interfaces. */
  agentHost?: string;
  thumbnailIntervalMs?: number;
  /** A UT1 folder or tarball on this PC to filter with (else env SAFELAB_LISTS_DIR). */
  listsDir?: string;
  demo: boolean;
  /** Serve web mode even when Electron is installed. */
  web: boolean;
  help: boolean;
}

export const consoleUsage = `SafeLab console

  npm start -- [options]            (node dist/main/start.js [options])

  --data-dir DIR                    data folder (default: per-user folder; env ${dataDirEnvVar})
  --agent-port N                    port agents connect to (default ${defaultAgentPort}; 0 = any free port)
  --agent-host ADDR                 listen for agents on this address only (default: all)
  --api-port N                      loopback port of the web UI and API (default ${defaultApiPort}; 0 = any)
  --thumbnail-interval-ms N         live thumbnail period during a lesson (default 2000)
  --lists-dir DIR                   filter with a UT1 folder or tarball on this PC (env SAFELAB_LISTS_DIR)
  --no-demo                         do not start the demo lab of simulated PCs
  --web                             web mode even if Electron is installed
  --help
`;

function portValue(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} needs a port number (0-65535)`);
  return n;
}

/** Parses the run command's options; throws an Error with a readable message on bad usage. */
export function parseConsoleArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ConsoleArgs {
  const parsed: ConsoleArgs = {
    dataDir: resolveConsoleDataDir(args, env),
    agentPort: defaultAgentPort,
    apiPort: defaultApiPort,
    demo: true,
    web: false,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.startsWith('--') && args[i]!.includes('=') ? args[i]!.split(/=(.*)/s, 2) : [args[i]!, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--data-dir':
        value();
        break;
      case '--agent-port':
        parsed.agentPort = portValue(flag, value());
        break;
      case '--api-port':
        parsed.apiPort = portValue(flag, value());
        break;
      case '--agent-host': {
        const host = value();
        if (!host) throw new Error('--agent-host needs an address');
        parsed.agentHost = host;
        break;
      }
      case '--thumbnail-interval-ms': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 100 || n > 60_000) throw new Error('--thumbnail-interval-ms needs a number between 100 and 60000');
        parsed.thumbnailIntervalMs = n;
        break;
      }
      case '--lists-dir': {
        const dir = value();
        if (!dir) throw new Error('--lists-dir needs a folder or a .tar.gz file');
        parsed.listsDir = dir;
        break;
      }
      case '--no-demo':
        parsed.demo = false;
        break;
      case '--demo':
        parsed.demo = true;
        break;
      case '--web':
        parsed.web = true;
        break;
      case '--help':
      case '-h':
        parsed.help = true;
        break;
      default:
        // Electron and Chromium add switches of their own; ignore what is not ours.
        break;
    }
  }
  return parsed;
}
