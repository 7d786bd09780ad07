// Who the audit log says changed a lab's web profile, when the change comes over the loopback API:
// the OS account the kernel says owns the caller's socket, never what the caller claims. A real
// console process, the real IT command line, clients running as another uid (65534, "nobody"),
// and the real SQLite audit log read back after the console stopped.
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../src/main/api/http-server.js';
import { EventBus } from '../../../src/main/api/events.js';
import type { ApiHandlers, Caller } from '../../../src/main/api/methods.js';
import { openStore } from '../../../src/main/store/index.js';
import { removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { assertBuilt, builtFile } from '../helpers/paths.js';
import { exited, spawnTracked, stopAllChildren } from '../helpers/processes.js';
import { LineLog, withTimeout } from '../helpers/wait.js';

/** The account "nobody" on Debian; a uid no test runs as. */
const otherUid = 65534;
const canSwitchUid = process.platform === 'linux' && process.getuid?.() === 0;
const me = userInfo().username;

let dataDir: string;
let console_: ConsoleProcess;
let labId: string;

/** What a caller holding the token sends; `claims` are headers a forger would add. */
function baselineRequest(profileId: string, claims: Record<string, string>) {
  return {
    url: `${console_.file.apiUrl}/api/labs.setBaselineProfile`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${console_.file.token}`, ...claims },
      body: JSON.stringify({ labId, profileId }),
    },
  };
}

/** Sends the request from a separate Node process running as `uid`; resolves with the HTTP status. */
async function sendAsUid(uid: number, request: ReturnType<typeof baselineRequest>): Promise<number> {
  const script = `fetch(process.env.URL, JSON.parse(process.env.INIT)).then(async (r) => { await r.text(); console.log('status', r.status); }, (e) => { console.error(String(e)); process.exit(3); })`;
  const child = spawnTracked(process.execPath, ['-e', script], {
    uid,
    gid: uid,
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', URL: request.url, INIT: JSON.stringify(request.init) },
  });
  const out = new LineLog(child.stdout, child.stderr);
  const code = await withTimeout(exited(child), 20_000, `a client running as uid ${uid}`);
  expect(code, out.text()).toBe(0);
  return Number(/status (\d+)/.exec(out.text())?.[1]);
}

async function cli(...args: string[]): Promise<{ code: number | string; text: string }> {
  const child = spawnTracked(process.execPath, [builtFile('main/cli.js'), '--data-dir', dataDir, ...args], { env: { ...process.env, SAFELAB_DATA_DIR: '' } });
  const out = new LineLog(child.stdout, child.stderr);
  const code = await withTimeout(exited(child), 30_000, `safelab cli ${args.join(' ')}`);
  return { code, text: out.text() };
}

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('audit-who');
  console_ = await startConsoleProcess({ dataDir });
  labId = (await console_.api.call('labs.list', {}))[0]!.id;
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  removeDir(dataDir);
});

describe('who changed a lab’s web profile over the loopback API', { timeout: 60_000 }, () => {
  /** Each step sets a different profile, so its audit entry is told apart by `to`. */
  const expected: { to: string; actor: string }[] = [];

  it('records the IT command line with the account that runs it', async () => {
    const done = await cli('filter', 'set', '--lab', labId, '--profile', 'preset-thcs');
    expect(done.code, done.text).toBe(0);
    expected.push({ to: 'preset-thcs', actor: `cli:${me}` });
  });

  it('ignores an account name a caller writes in its headers', async () => {
    const { url, init } = baselineRequest('preset-thpt', { 'x-safelab-client': 'cli', 'x-safelab-os-account': 'thanh' });
    const response = await fetch(url, init);
    expect(response.status).toBe(200);
    expected.push({ to: 'preset-thpt', actor: `cli:${me}` });
  });

  it.skipIf(!canSwitchUid)('names another account’s client by its own account, whatever it claims to be', async () => {
    // A token holder running as nobody claims to be the IT command line of root.
    expect(await sendAsUid(otherUid, baselineRequest('preset-tieu-hoc', { 'x-safelab-client': 'cli', 'x-safelab-os-account': 'root' }))).toBe(200);
    expected.push({ to: 'preset-tieu-hoc', actor: 'cli:nobody' });
    // The same account without the command-line label is the UI channel (a browser run by nobody).
    expect(await sendAsUid(otherUid, baselineRequest('preset-thcs', {}))).toBe(200);
    expected.push({ to: 'preset-thcs', actor: 'teacher:nobody' });
  });

  it('wrote each change to the audit log under the account the kernel named', async () => {
    expect(await console_.stop()).toBe(0);
    const store = openStore(dataDir);
    try {
      const entries = store.audit
        .recentAudit(100)
        .filter((e) => e.action === 'lab.baselineProfileChanged')
        .reverse()
        .map((e) => ({ to: (e.details as { to: string }).to, actor: e.actor }));
      expect(entries).toEqual(expected);
      expect(store.audit.verifyAuditChain()).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  });
});

describe('where the kernel cannot say who calls', { timeout: 30_000 }, () => {
  let server: ApiServer;
  const callers: Caller[] = [];

  beforeAll(async () => {
    // Only the transport is under test here: one method that reports who it was called by.
    const handlers = {
      'console.status': async (_input: unknown, caller: Caller) => {
        callers.push(caller);
        return { actor: caller.actor };
      },
    } as unknown as ApiHandlers;
    server = await startApiServer({
      handlers,
      events: new EventBus(() => undefined),
      token: 'unverified-test-token',
      rendererDir: path.join(dataDir, 'no-ui'),
      log: () => undefined,
      port: 0,
      peerLookup: { platform: 'win32' },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('records the channel as unverified, never the name a caller claims', async () => {
    for (const [claims, actor] of [
      [{ 'x-safelab-client': 'cli', 'x-safelab-os-account': 'root' }, 'cli:unverified'],
      [{}, 'teacher:unverified'],
    ] as const) {
      const response = await fetch(`${server.url}/api/console.status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer unverified-test-token', ...claims },
        body: '{}',
      });
      expect(await response.json()).toEqual({ actor });
    }
  });
});
