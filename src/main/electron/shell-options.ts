// The desktop shell's command line: picks the user's flags out of Electron's argv and reads them like the web start does.
//
// Plain Node (no electron import) so it can be tested without Electron. The flags themselves
// are parsed once, by console-args.ts, for both ways of running the console.

import { parseConsoleArgs } from '../console-args.js';
import type { ConsoleOptions } from '../console.js';

/** What the shell hands to startConsole (the shell adds its own log). */
export type ShellConsoleOptions = Omit<ConsoleOptions, 'log'>;

export type ShellCommand = { kind: 'run'; options: ShellConsoleOptions } | { kind: 'help' };

/**
 * The user's arguments in Electron's argv. A development run (`electron . --x`, where
 * `process.defaultApp` is true) has the app path second; a packaged app has only its own path first.
 */
export function userArgs(argv: readonly string[], isDefaultApp: boolean): string[] {
  return argv.slice(isDefaultApp ? 2 : 1);
}

/**
 * The console options for the shell: the same flags as the web start (`--data-dir`,
 * `--agent-port`, `--api-port`, `--agent-host`, `--thumbnail-interval-ms`, `--no-demo`).
 * `--web` means nothing here (start.ts chose the shell already); Chromium's own switches are
 * ignored. Throws an Error with a readable message on a mistyped flag.
 */
export function shellCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ShellCommand {
  const parsed = parseConsoleArgs(args, env);
  if (parsed.help) return { kind: 'help' };
  return {
    kind: 'run',
    options: {
      dataDir: parsed.dataDir,
      agentPort: parsed.agentPort,
      apiPort: parsed.apiPort,
      shell: 'electron',
      demo: parsed.demo,
      ...(parsed.agentHost !== undefined ? { agentHost: parsed.agentHost } : {}),
      ...(parsed.thumbnailIntervalMs !== undefined ? { thumbnailIntervalMs: parsed.thumbnailIntervalMs } : {}),
      ...(parsed.listsDir !== undefined ? { listsDir: parsed.listsDir } : {}),
    },
  };
}
