// The IT command line end to end: a real console process, a real agent enrolled from an
// enrolment file the CLI exported, and every command with its output and exit code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentFileSchema } from '../../../src/shared/api/contract.js';
import { EventRecorder, machineReady } from '../helpers/console-api.js';
import { removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { assertBuilt, builtFile, projectRoot } from '../helpers/paths.js';
import { exited, spawnTracked, stopAllChildren } from '../helpers/processes.js';
import { enrolAgent, runAgent } from '../helpers/real-agent.js';
import { LineLog, withTimeout } from '../helpers/wait.js';

let dataDir: string;
let console_: ConsoleProcess;
let events: EventRecorder;

async function cli(...args: string[]): Promise<{ code: number | string; out: string; err: string }> {
  const child = spawnTracked(process.execPath, [builtFile('main/cli.js'), '--data-dir', dataDir, ...args], {
    env: { ...process.env, SAFELAB_DATA_DIR: '' },
  });
  const out = new LineLog(child.stdout);
  const err = new LineLog(child.stderr);
  const code = await withTimeout(exited(child), 20_000, `safelab cli ${args.join(' ')}`);
  return { code, out: out.text(), err: err.text() };
}

beforeAll(() => {
  assertBuilt();
  dataDir = tempDataDir('cli');
});

afterAll(async () => {
  events?.close();
  await stopAllChildren();
  removeDir(dataDir);
});

describe('IT command line', { timeout: 60_000 }, () => {
  it('says clearly, in both languages, that the console is not running', async () => {
    const result = await cli('machines');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/chưa chạy/);
    expect(result.err).toMatch(/not running/);
  });

  it('exports an enrolment file a PC enrols with, and lists the PC online', async () => {
    console_ = await startConsoleProcess({ dataDir });
    events = await EventRecorder.overHttp(console_.file.apiUrl, console_.file.token);
    const status = await cli('status');
    expect(status.code).toBe(0);
    expect(status.out).toContain(console_.file.consoleFingerprint);

    const file = path.join(dataDir, 'enrol-7.json');
    const exported = await cli('enrol-code', '--lab', 'phòng máy 1', '--file', file);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.out).toMatch(/code: +[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    const enrolmentFile = enrolmentFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(enrolmentFile.consoleUrl).toBe(console_.agentUrl);

    const agentDir = path.join(dataDir, 'agents', 'PC-01');
    const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-01', enrolmentFile: file });
    expect(enrolled.exitCode, enrolled.output).toBe(0);
    runAgent({ dataDir: agentDir, hostname: 'PC-01' });
    await events.waitFor(machineReady('PC-01'), 20_000, 'PC-01 ready', 0);

    const labs = await cli('labs');
    expect(labs.out).toMatch(/Phòng máy 1 +1 PCs/);
    const machines = await cli('machines', '--lab', 'Phòng máy 1', '--json');
    expect(machines.code).toBe(0);
    expect(JSON.parse(machines.out)).toEqual([expect.objectContaining({ name: 'PC-01', online: true })]);
  });

  it('locks, messages and unlocks PCs by name, by lab and all at once', async () => {
    const lock = await cli('lock', '--machines', 'pc-01', '--message', 'Nhìn lên bảng');
    expect(lock.code, lock.err).toBe(0);
    expect(lock.out).toMatch(/PC-01 +done/);
    expect(lock.out).toMatch(/1\/1 done/);
    expect(JSON.parse((await cli('machines', '--json')).out)[0].state).toMatchObject({ locked: true, lockMessage: 'Nhìn lên bảng' });

    expect((await cli('message', '--all', '--text', 'Còn 5 phút')).code).toBe(0);
    const unlock = await cli('unlock', '--lab', 'Phòng máy 1');
    expect(unlock.code).toBe(0);
    expect(JSON.parse((await cli('machines', '--json')).out)[0].state.locked).toBe(false);
  });

  it('starts and ends a lesson', async () => {
    const start = await cli('lesson', 'start', '--lab', 'Phòng máy 1', '--class', '7A', '--teacher', 'Thầy Minh');
    expect(start.code, start.err).toBe(0);
    expect(start.out).toMatch(/7A started/);
    const again = await cli('lesson', 'start', '--lab', 'Phòng máy 1', '--class', '7B');
    expect(again.code).toBe(3);
    expect(again.err).toMatch(/đang có tiết học/);
    const end = await cli('lesson', 'end', '--lab', 'Phòng máy 1');
    expect(end.code).toBe(0);
    expect(end.out).toMatch(/7A ended/);
  });

  it('shows a PC’s inventory', async () => {
    const inventory = await cli('inventory', '--machine', 'PC-01', '--refresh', '--json');
    expect(inventory.code, inventory.err).toBe(0);
    expect(JSON.parse(inventory.out).cpu.cores).toBeGreaterThan(0);
  });

  it('refuses wrong usage and unknown names with clear messages and exit codes', async () => {
    const noTarget = await cli('lock');
    expect(noTarget.code).toBe(64);
    expect(noTarget.err).toMatch(/--lab, --machines or --all/);
    const unknown = await cli('lock', '--machines', 'PC-99');
    expect(unknown.code).toBe(3);
    expect(unknown.err).toMatch(/Không tìm thấy máy "PC-99"/);
    expect(unknown.err).toMatch(/Machine "PC-99" not found/);
    expect((await cli('fly')).code).toBe(64);
    expect((await cli('machines', '--lab', 'Phòng 404')).code).toBe(3);
  });

  it('removes a PC from the console', async () => {
    const removed = await cli('remove', '--machine', 'PC-01');
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toMatch(/removed/);
    expect(JSON.parse((await cli('machines', '--json')).out)).toEqual([]);
  });

  it('prints agent commands that work as typed in the SafeLab folder of a student PC', async () => {
    const exported = await cli('enrol-code', '--file', path.join(dataDir, 'safelab-enrolment.json'));
    expect(exported.code, exported.err).toBe(0);
    const lines = exported.out.split('\n').map((l) => l.trim());
    const withCode = lines.find((l) => l.startsWith('node dist/agent/cli.js enrol --console '))!;
    const withFile = lines.find((l) => l.startsWith('or: '))!.slice('or: '.length);
    const run = lines.find((l) => l.startsWith('then: '))!.slice('then: '.length);
    expect(withFile).toBe('node dist/agent/cli.js enrol --enrolment-file safelab-enrolment.json');
    expect(run).toBe('node dist/agent/cli.js run');

    // Exactly as printed, from the SafeLab folder; the data folder comes from the environment.
    const agentDir = path.join(dataDir, 'agents', 'TYPED');
    const asTyped = (command: string, ...extra: string[]) => {
      const [program, ...args] = command.split(' ');
      expect(program).toBe('node');
      return spawnTracked(process.execPath, [...args, ...extra], { cwd: projectRoot, env: { ...process.env, SAFELAB_AGENT_DATA_DIR: agentDir } });
    };
    const enrol = asTyped(withCode);
    const enrolLog = new LineLog(enrol.stdout, enrol.stderr);
    expect(await withTimeout(exited(enrol), 30_000, 'the printed enrol command'), enrolLog.text()).toBe(0);
    const { machineId } = JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string };
    // This test PC has no desktop session, so the run command gets the simulated one.
    asTyped(run, '--platform', 'simulated');
    await events.waitFor(machineReady(machineId), 20_000, 'the PC enrolled by the printed commands', 0);
    const removed = await cli('remove', '--machine', machineId);
    expect(removed.code, removed.err).toBe(0);
  });

  it('reports an offline PC with exit code 1', async () => {
    // The removed PC is gone; enrol a second one but do not start its agent.
    const code = JSON.parse((await cli('enrol-code', '--json')).out).code as string;
    const agentDir = path.join(dataDir, 'agents', 'PC-02');
    expect((await enrolAgent({ dataDir: agentDir, hostname: 'PC-02', consoleUrl: console_.agentUrl, code })).exitCode).toBe(0);
    const lock = await cli('lock', '--machines', 'PC-02');
    expect(lock.code).toBe(1);
    expect(lock.out).toMatch(/PC-02 +offline/);
    expect(await console_.stop()).toBe(0);
  });
});
