#!/usr/bin/env node
// The run command (`npm start`): opens the Electron shell when Electron is installed, otherwise
// serves web mode on loopback and prints the address to open. Either way the demo lab of
// simulated PCs starts unless --no-demo. Ctrl-C stops everything cleanly.

import { spawn } from 'node:child_process';
import { bilingual } from '../shared/i18n/index.js';
import { consoleUsage, parseConsoleArgs, type ConsoleArgs } from './console-args.js';
import { startConsole } from './console.js';
import { findElectronShell, shellSpawnArgs, type ElectronShell, type ShellLookup } from './shell-launch.js';

function runElectron(shell: ElectronShell, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(shell.electronBinary, shellSpawnArgs(shell, args), { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      process.stderr.write(`electron: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Why web mode instead of the window, in both languages; null when --web asked for it. */
function whyWebMode(lookup: ShellLookup | null): { vi: string; en: string } | null {
  if (!lookup || lookup.found) return null;
  return lookup.reason === 'electron-not-installed' ? bilingual('errors.electronMissing') : bilingual('errors.shellNotBuilt', { detail: lookup.detail });
}

async function runWeb(args: ConsoleArgs, why: { vi: string; en: string } | null): Promise<number> {
  const runtime = await startConsole({
    dataDir: args.dataDir,
    agentPort: args.agentPort,
    apiPort: args.apiPort,
    ...(args.agentHost !== undefined ? { agentHost: args.agentHost } : {}),
    ...(args.thumbnailIntervalMs !== undefined ? { thumbnailIntervalMs: args.thumbnailIntervalMs } : {}),
    ...(args.listsDir !== undefined ? { listsDir: args.listsDir } : {}),
    shell: 'web',
    demo: args.demo,
  });
  const url = `${runtime.apiUrl}/#token=${runtime.token}`;
  const lines: string[] = [''];
  if (why) {
    lines.push(why.vi, why.en);
  } else {
    lines.push('SafeLab chạy ở chế độ web. Mở địa chỉ sau bằng trình duyệt trên máy này:', 'SafeLab runs in web mode. Open this address in a browser on this computer:');
  }
  lines.push('', `    ${url}`, '', `Thư mục dữ liệu / data folder: ${args.dataDir}`, 'Nhấn Ctrl-C để dừng / press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n') + '\n');

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: stopping now\n`);
        process.exit(130);
      }
      stopping = true;
      runtime.close().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`console: stopping failed: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

export async function main(argv: string[]): Promise<number> {
  let args: ConsoleArgs;
  try {
    args = parseConsoleArgs(argv);
  } catch (error) {
    const text = bilingual('errors.usage', { detail: (error as Error).message });
    process.stderr.write(`${text.vi}\n${text.en}\n\n${consoleUsage}`);
    return 64;
  }
  if (args.help) {
    process.stdout.write(consoleUsage);
    return 0;
  }
  const shell = args.web ? null : findElectronShell();
  if (shell?.found) return runElectron(shell.shell, argv);
  return runWeb(args, whyWebMode(shell));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing should linger after a clean stop; if something does, do not hang the terminal.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
