// The console core started inside the test process (real sockets, real SQLite file), with its
// log captured so a test can wait for a line, and its events recorded.
import { startConsole, type ConsoleOptions, type ConsoleRuntime } from '../../../src/main/console.js';
import { EventRecorder } from './console-api.js';
import { agentUrl } from './console-process.js';
import { LineLog } from './wait.js';

export interface TestConsole {
  runtime: ConsoleRuntime;
  log: LineLog;
  events: EventRecorder;
  agentUrl: string;
  close(): Promise<void>;
}

export async function startTestConsole(options: Omit<ConsoleOptions, 'shell' | 'log'> & { shell?: 'electron' | 'web' }): Promise<TestConsole> {
  const log = new LineLog();
  const runtime = await startConsole({
    agentHost: '127.0.0.1',
    agentPort: 0,
    apiPort: 0,
    shell: 'web',
    ...options,
    log: (line) => log.add(line),
  });
  const events = EventRecorder.inProcess(runtime.api);
  return {
    runtime,
    log,
    events,
    agentUrl: agentUrl(runtime.agentPort),
    async close() {
      events.close();
      await runtime.close();
    },
  };
}
