// Starts the console core (plain Node): store, certificate, agent hub, commands, lessons,
// thumbnails and the API (in-process for the Electron shell, HTTP on loopback for web mode and
// the IT command line), and writes console.json so the command line can find it.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleApiClient, ConsoleStatus } from '../shared/api/contract.js';
import { bilingual } from '../shared/i18n/index.js';
import { commandTimeoutMs as defaultCommandTimeoutMs } from '../shared/protocol/limits.js';
import { AgentHub } from './agent-hub/hub.js';
import { EventBus } from './api/events.js';
import { startApiServer, type ApiServer } from './api/http-server.js';
import { actorOf, processOsAccount } from './api/actor.js';
import { createInProcessClient, type InProcessClient } from './api/in-process-client.js';
import { createApiHandlers } from './api/methods.js';
import { loadOrCreateCertificate } from './certificate.js';
import { defaultAgentPort, defaultApiPort } from './console-args.js';
import { processAlive, readConsoleFile, removeConsoleFile, writeConsoleFile } from './console-file.js';
import { consoleUrls } from './console-urls.js';
import { Commands } from './commands/commands.js';
import { ensureDataDir } from './data-dir.js';
import { startDemoLab, type DemoLab } from './demo-lab.js';
import { Lessons } from './lessons/lessons.js';
import { openStore, type Store } from './store/index.js';
import { defaultThumbnailIntervalMs, ThumbnailScheduler } from './thumbnails/scheduler.js';
import { WebFiltering } from './web-filtering/web-filtering.js';

export const defaultLabName = 'Phòng máy 1';
const defaultLabSetting = 'labs.defaultLabId';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ConsoleOptions {
  dataDir: string;
  /** Default 47100; 0 picks a free port. */
  agentPort?: number;
  /** Default 47101; 0 picks a free port. Always loopback. */
  apiPort?: number;
  /** Interface for the agent hub; default all interfaces. */
  agentHost?: string;
  thumbnailIntervalMs?: number;
  shell: 'electron' | 'web';
  /** Starts the demo lab of simulated PCs (real agent processes). */
  demo?: boolean;
  log?: (line: string) => void;
  // Knobs for tests: real defaults come from shared/protocol/limits.
  heartbeatIntervalMs?: number;
  handshakeTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Where the built UI lives (default dist/renderer of this project). */
  rendererDir?: string;
  /** Number of simulated PCs in the demo lab (default 12). */
  demoMachines?: number;
  /** A UT1 folder or tarball on this PC to filter with (default: env SAFELAB_LISTS_DIR). */
  listsDir?: string;
  /** Download third-party lists on a schedule for this run (default: the stored setting, off). */
  listAutoRefresh?: boolean;
}

/** Env: a UT1 folder or tarball to read lists from (e.g. ../shared/data/ut1), for demos and offline labs. */
export const listsDirEnvVar = 'SAFELAB_LISTS_DIR';

export interface ConsoleRuntime {
  api: ConsoleApiClient;
  apiUrl: string;
  token: string;
  agentPort: number;
  consoleFingerprint: string;
  close(): Promise<void>;
}

function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

let cachedVersion: string | null = null;
function version(): string {
  if (cachedVersion === null) {
    try {
      cachedVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

/** The lab new PCs join when their enrolment names none; made on first run. */
function ensureDefaultLab(store: Store): void {
  if (store.settings.readSetting<string>(defaultLabSetting) !== null) return;
  store.transaction(() => {
    const lab = store.labs.findLabByName(defaultLabName) ?? store.labs.createLab(defaultLabName);
    store.settings.writeSetting(defaultLabSetting, lab.id);
    store.audit.recordAudit({ actor: 'system', action: 'lab.created', target: lab.id, details: { name: lab.name, default: true } });
  });
}

function portError(error: unknown, port: number, option: string): Error {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    const text = bilingual('errors.portInUse', { port, option });
    return new Error(`${text.vi}\n${text.en}`);
  }
  return error as Error;
}

export async function startConsole(options: ConsoleOptions): Promise<ConsoleRuntime> {
  const log = options.log ?? defaultLog;
  const dataDir = ensureDataDir(path.resolve(options.dataDir));

  const running = readConsoleFile(dataDir);
  if (running && running.pid !== process.pid && processAlive(running.pid)) {
    const text = bilingual('errors.consoleAlreadyRunning', { pid: running.pid });
    throw new Error(`${text.vi}\n${text.en}`);
  }

  const store = openStore(dataDir, log);
  let hub: AgentHub | null = null;
  let apiServer: ApiServer | null = null;
  let thumbnails: ThumbnailScheduler | null = null;
  let demo: DemoLab | null = null;
  let webFiltering: WebFiltering | null = null;
  try {
    ensureDefaultLab(store);
    const defaultLabId = (): string | null => {
      const id = store.settings.readSetting<string>(defaultLabSetting);
      return id && store.labs.findLab(id) ? id : null;
    };
    const certificate = await loadOrCreateCertificate(dataDir, log);
    const events = new EventBus(log);

    hub = new AgentHub({
      store,
      events,
      certificate,
      log,
      defaultLabId,
      ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    });
    const commandTimeoutMs = options.commandTimeoutMs ?? defaultCommandTimeoutMs;
    const commands = new Commands({ store, hub, events, log, commandTimeoutMs });
    let scheduler: ThumbnailScheduler | null = null;
    let filtering: WebFiltering | null = null;
    const lessons = new Lessons({
      store,
      hub,
      commands,
      events,
      log,
      changed: (labId) => {
        scheduler?.lessonsChanged(labId);
        filtering?.labChanged(labId);
      },
    });
    const listsDir = options.listsDir ?? (process.env[listsDirEnvVar] || undefined);
    filtering = webFiltering = new WebFiltering({
      store,
      hub,
      lessons,
      events,
      log,
      dataDir,
      commandTimeoutMs,
      ...(listsDir ? { listsDir } : {}),
      ...(options.listAutoRefresh !== undefined ? { autoRefresh: options.listAutoRefresh } : {}),
    });
    const webFilter = filtering;
    scheduler = thumbnails = new ThumbnailScheduler({
      hub,
      lessons,
      events,
      log,
      intervalMs: options.thumbnailIntervalMs ?? defaultThumbnailIntervalMs,
    });
    const thumbnailScheduler = scheduler;
    hub.attach({
      lessonState: (labId) => lessons.stateForLab(labId),
      ready: (connection, state) => {
        lessons.machineReady(connection, state.lessonActive);
        webFilter.machineReady(connection);
      },
      ack: (connection, message) => {
        // Web filtering reads the ack's error code before the command run settles on its text.
        webFilter.noteAck(connection, message);
        commands.onAck(connection, message);
      },
      frame: (connection, data) => thumbnailScheduler.onFrame(connection, data),
      thumbnailError: (connection, message) => thumbnailScheduler.onThumbnailError(connection, message),
      disconnected: (connection) => {
        commands.onDisconnect(connection);
        thumbnailScheduler.onDisconnect(connection);
        webFilter.disconnected(connection);
      },
      blocked: (connection, message) => webFilter.onBlocked(connection, message),
      filterStatus: (connection, message) => webFilter.onFilterStatus(connection, message),
    });
    // Presets seeded and the cached list loaded before any agent can say hello.
    await webFilter.start();

    const requestedAgentPort = options.agentPort ?? defaultAgentPort;
    let agentPort: number;
    try {
      agentPort = await hub.listen(requestedAgentPort, options.agentHost);
    } catch (error) {
      throw portError(error, requestedAgentPort, '--agent-port');
    }
    log(`agent-hub: listening on ${options.agentHost ?? '*'}:${agentPort} (certificate ${certificate.fingerprint})`);
    // Resumes thumbnails for lessons that were running when the console last stopped.
    thumbnailScheduler.refresh();

    const isDemo = options.demo ?? false;
    const status = (): ConsoleStatus => ({
      version: version(),
      agentPort,
      consoleFingerprint: certificate.fingerprint,
      dataDir,
      demo: isDemo,
      shell: options.shell,
      thumbnailIntervalMs: thumbnailScheduler.intervalMs,
    });
    const handlers = createApiHandlers({
      store,
      hub,
      commands,
      lessons,
      thumbnails: thumbnailScheduler,
      events,
      status,
      consoleUrls: () => consoleUrls(agentPort, options.agentHost),
      consoleFingerprint: certificate.fingerprint,
      defaultLabId,
      inventoryWaitMs: commandTimeoutMs,
      webFiltering: webFilter,
    });
    // The desktop window is the in-process client: one session of its own.
    const api: InProcessClient = createInProcessClient(handlers, events, { actor: actorOf('teacher', processOsAccount()), session: 'desktop' }, log);

    const token = randomBytes(32).toString('base64url');
    const requestedApiPort = options.apiPort ?? defaultApiPort;
    try {
      apiServer = await startApiServer({
        handlers,
        events,
        token,
        rendererDir: options.rendererDir ?? path.join(projectRoot, 'dist', 'renderer'),
        log,
        port: requestedApiPort,
        sessionEnded: (session) => thumbnailScheduler.endSession(session),
      });
    } catch (error) {
      throw portError(error, requestedApiPort, '--api-port');
    }
    log(`api: listening on ${apiServer.url}`);

    writeConsoleFile(dataDir, {
      pid: process.pid,
      apiUrl: apiServer.url,
      token,
      agentPort,
      consoleFingerprint: certificate.fingerprint,
      startedAt: Date.now(),
    });

    if (isDemo) {
      demo = startDemoLab({
        dataDir,
        api: api.as({ actor: 'system' }),
        agentUrl: `wss://${options.agentHost && options.agentHost !== '0.0.0.0' && options.agentHost !== '::' ? options.agentHost : '127.0.0.1'}:${agentPort}/agent`,
        log,
        projectRoot,
        ...(options.demoMachines !== undefined ? { machines: options.demoMachines } : {}),
      });
    }

    const ownedHub = hub;
    const ownedApi = apiServer;
    const ownedDemo = demo;
    let closing: Promise<void> | null = null;
    return {
      api,
      apiUrl: apiServer.url,
      token,
      agentPort,
      consoleFingerprint: certificate.fingerprint,
      close() {
        closing ??= (async () => {
          log('console: stopping');
          removeConsoleFile(dataDir);
          thumbnailScheduler.close();
          webFilter.close();
          await ownedApi.close();
          await ownedHub.close();
          await ownedDemo?.close();
          store.close();
          log('console: stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    thumbnails?.close();
    webFiltering?.close();
    await demo?.close().catch(() => undefined);
    await apiServer?.close().catch(() => undefined);
    await hub?.close().catch(() => undefined);
    removeConsoleFile(dataDir);
    store.close();
    throw error;
  }
}
