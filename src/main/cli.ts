#!/usr/bin/env node
// The IT command line (like veyon-cli): talks to the running console through its loopback API,
// found via <dataDir>/console.json. For scripting and for when the window is not at hand.
// Exit codes: 0 ok, 1 some machines did not do it, 2 console not running, 3 refused by the
// console (not found, conflict…), 64 wrong usage, 70 a bug.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { agentCommands } from '../shared/api/agent-command.js';
import type {
  ApiErrorBody,
  ApiInput,
  ApiMethod,
  ApiOutput,
  CommandOutcome,
  CommandRequest,
  FilterChange,
  FilterListInfo,
  Lab,
  Machine,
  MachineFilterStatus,
  ProfileRow,
} from '../shared/api/contract.js';
import { newListSourceId, ut1CopyType } from '../shared/api/list-source-id.js';
import type { ListSourceInput } from '../shared/filtering/list-sources.js';
import { bilingual, translate } from '../shared/i18n/index.js';
import { channelHeader } from './api/actor.js';
import { consoleFilePath, readConsoleFile, type ConsoleFile } from './console-file.js';
import { resolveConsoleDataDir } from './data-dir.js';

export const cliExitCodes = {
  ok: 0,
  someMachinesFailed: 1,
  consoleNotRunning: 2,
  refused: 3,
  usage: 64,
  unexpected: 70,
} as const;

const usage = `SafeLab console command line   (npm run console -- <command> …)

  status                                   the running console (ports, fingerprint, data folder)
  labs [--json]                            list labs
  machines [--lab NAME|ID] [--json]        list machines (online, user, locked)
  lock   (--lab X | --machines PC-01,PC-02 | --all) [--message TEXT]
  unlock (--lab X | --machines … | --all)
  message --text TEXT (--lab X | --machines … | --all)
  lesson start --lab X --class 7A [--teacher NAME] [--profile P]
  lesson end --lab X
  profiles [--json]                        web filtering profiles (presets per age band and your own)
  filter set --lab X --profile P           the lab's baseline web profile (always on)
  filter lesson --lab X --profile P|none   a stricter profile for the running lesson (reverts at its end)
  filter status [--lab X] [--json]         what each lab enforces and where each PC stands
  lists [--json]                           the compiled filter list, its sources and the lines they could not use
  lists refresh                            download the web lists now (keeps the last good copy)
  lists add ut1 CATEGORY [--url MIRROR]    a UT1 category, downloaded from UT1 (or a school mirror)
  lists add ut1-copy PATH [--categories a,b]   a UT1 copy on this PC: unpacked folder or .tar.gz
  lists add url URL --category C [--kind block|allow] [--format auto|domains|hosts|adblock]
  lists add file PATH --category C [--kind block|allow] [--format …]   a list file on this PC
                                           (every add takes [--id ID]; default: made from the category)
  lists remove ID                          stop using a source (see its id in "lists")
  blocked [--lab X] [--lesson ID] [--machine PC] [--json]   blocked web attempts, newest first
  enrol-code [--lab X] [--ttl MINUTES] [--file enrolment.json]
  remove --machine NAME|ID                 remove a PC and revoke its key
  inventory --machine NAME|ID [--refresh] [--json]
  help

  --data-dir DIR   data folder of the console (default: per-user folder; env SAFELAB_DATA_DIR)
Exit codes: 0 ok, 1 some machines failed or were offline, 2 console not running,
            3 refused by the console, 64 wrong usage.
`;

class UsageError extends Error {}

/** Example lines "lists" prints under a source (--json has them all). */
const maxCliProblemExamples = 5;

/** An error the console answered with (already bilingual). */
class RefusedError extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(body.message);
  }
}

class NotRunningError extends Error {
  constructor(readonly key: string, readonly params: Record<string, string | number>) {
    super(key);
  }
}

function printBilingual(vi: string, en: string): void {
  process.stderr.write(`${vi}\n${en}\n`);
}

interface Api {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
}

function connect(dataDir: string): Api {
  const file: ConsoleFile | null = readConsoleFile(dataDir);
  if (!file) throw new NotRunningError('errors.consoleNotRunning', { file: consoleFilePath(dataDir) });
  return {
    async call(method, input) {
      let response: Response;
      try {
        response = await fetch(`${file.apiUrl}/api/${method}`, {
          method: 'POST',
          // Only the channel is named: who runs this command the console asks of the kernel.
          headers: { 'content-type': 'application/json', authorization: `Bearer ${file.token}`, [channelHeader]: 'cli' },
          body: JSON.stringify(input ?? {}),
        });
      } catch (error) {
        const { cause } = error as { cause?: { code?: string; message?: string } };
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        throw new NotRunningError('errors.consoleUnreachable', { url: file.apiUrl, reason });
      }
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      if (!response.ok) {
        const error = body as Partial<ApiErrorBody> | null;
        if (error && typeof error.message === 'string' && typeof error.code === 'string') throw new RefusedError(error as ApiErrorBody);
        throw new RefusedError({ code: 'internal', message: `HTTP ${response.status}`, messageEn: `HTTP ${response.status}` });
      }
      return body as never;
    },
  };
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        lab: { type: 'string' },
        machines: { type: 'string' },
        machine: { type: 'string' },
        all: { type: 'boolean' },
        message: { type: 'string' },
        text: { type: 'string' },
        class: { type: 'string' },
        teacher: { type: 'string' },
        profile: { type: 'string' },
        lesson: { type: 'string' },
        ttl: { type: 'string' },
        file: { type: 'string' },
        refresh: { type: 'boolean' },
        category: { type: 'string' },
        categories: { type: 'string' },
        kind: { type: 'string' },
        format: { type: 'string' },
        url: { type: 'string' },
        id: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type Flags = ReturnType<typeof parse>['values'];

function same(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

async function findLab(api: Api, wanted: string): Promise<Lab> {
  const labs = await api.call('labs.list', {});
  const lab = labs.find((l) => l.id === wanted) ?? labs.find((l) => same(l.name, wanted));
  if (!lab) throw new RefusedError({ code: 'not-found', ...textOf('errors.labNotFound', { lab: wanted }) });
  return lab;
}

function textOf(key: string, params?: Record<string, string | number>): { message: string; messageEn: string } {
  const t = bilingual(key, params);
  return { message: t.vi, messageEn: t.en };
}

function findMachineIn(machines: Machine[], wanted: string): Machine {
  const machine =
    machines.find((m) => m.id === wanted) ?? machines.find((m) => same(m.name, wanted)) ?? machines.find((m) => same(m.hostname, wanted));
  if (!machine) throw new RefusedError({ code: 'not-found', ...textOf('errors.machineNotFound', { machine: wanted }) });
  return machine;
}

async function selectMachines(api: Api, flags: Flags): Promise<Machine[]> {
  if (flags.machines) {
    const all = await api.call('machines.list', {});
    return flags.machines
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((wanted) => findMachineIn(all, wanted));
  }
  if (flags.lab) {
    const lab = await findLab(api, flags.lab);
    return api.call('machines.list', { labId: lab.id });
  }
  if (flags.all) return api.call('machines.list', {});
  throw new UsageError(bilingual('errors.noMachinesSelected').en);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text + ' '.repeat(width - text.length);
}

function printOutcome(outcome: CommandOutcome, json: boolean | undefined): number {
  if (json) process.stdout.write(JSON.stringify(outcome, null, 2) + '\n');
  else {
    for (const r of outcome.results) {
      const why = r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : '';
      process.stdout.write(`${pad(r.name, 16)}${r.status}${why}\n`);
    }
    const done = outcome.results.filter((r) => r.status === 'done').length;
    process.stdout.write(`${done}/${outcome.results.length} done\n`);
  }
  return outcome.results.every((r) => r.status === 'done') ? cliExitCodes.ok : cliExitCodes.someMachinesFailed;
}

async function runCommand(api: Api, flags: Flags, request: CommandRequest): Promise<number> {
  const machines = await selectMachines(api, flags);
  if (machines.length === 0) {
    process.stdout.write('0 machines\n');
    return cliExitCodes.ok;
  }
  const outcome = await api.call('commands.run', { machineIds: machines.map((m) => m.id), command: request });
  return printOutcome(outcome, flags.json);
}

function requireFlag(flags: Flags, name: 'lab' | 'class' | 'text' | 'machine' | 'profile'): string {
  const value = flags[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

async function findProfile(api: Api, wanted: string): Promise<ProfileRow> {
  const { profiles } = await api.call('profiles.list', {});
  const row = profiles.find((p) => p.profile.id === wanted) ?? profiles.find((p) => same(p.profile.name, wanted));
  if (!row) throw new RefusedError({ code: 'not-found', ...textOf('errors.profileNotFound', { profile: wanted }) });
  return row;
}

async function machineNames(api: Api): Promise<Map<string, string>> {
  return new Map((await api.call('machines.list', {})).map((m) => [m.id, m.name]));
}

/** "applied", "not-filtering (listen-failed)", "applied — warning: firewall-failed (…)": a PC's filter in one line. */
function filterStateLine(m: MachineFilterStatus): string {
  const reason = m.reason ? ` (${m.reason})` : '';
  // A PC that filters with a gap reads as applied (its exit code too), with the gap spelled out.
  const warning = m.warning ? ` — warning: ${m.warning} (${translate('en', `filtering.warning.${m.warning}`)})` : '';
  return `${m.state}${reason}${warning}`;
}

async function printFilterChange(api: Api, change: FilterChange, json: boolean | undefined): Promise<number> {
  if (json) {
    process.stdout.write(JSON.stringify(change, null, 2) + '\n');
  } else {
    const names = await machineNames(api);
    process.stdout.write(`in force: ${change.lab.effective.name} (${change.lab.effective.id}, ${change.lab.effective.mode})\n`);
    if (change.lab.missingCategories.length > 0) process.stdout.write(`not filtered (lists never downloaded): ${change.lab.missingCategories.join(', ')}\n`);
    for (const m of change.machines) {
      process.stdout.write(`${pad(names.get(m.machineId) ?? m.machineId, 16)}${filterStateLine(m)}\n`);
    }
  }
  return change.machines.every((m) => m.state === 'applied' || m.state === 'not-filtering') ? cliExitCodes.ok : cliExitCodes.someMachinesFailed;
}

/** Under a source in "lists": its unusable lines, counted per reason, with the first few as examples. */
function printProblems(reports: FilterListInfo['reports']): void {
  const bad = reports.reduce((n, r) => n + r.bad, 0);
  const skipped = reports.reduce((n, r) => n + r.skipped, 0);
  if (bad + skipped === 0) return;
  const totals = new Map<string, number>();
  for (const r of reports) for (const [problem, count] of Object.entries(r.problems)) totals.set(problem, (totals.get(problem) ?? 0) + count);
  process.stdout.write(`    ${bad} bad line(s), ${skipped} skipped (not enforceable by DNS):\n`);
  for (const [problem, count] of [...totals].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`      ${pad(String(count), 8)}${pad(problem, 22)}${translate('en', `filtering.problem.${problem}`)}\n`);
  }
  const examples = reports.flatMap((r) => r.examples.map((e) => ({ ...e, list: r.source })));
  for (const e of examples.slice(0, maxCliProblemExamples)) {
    const where = `${reports.length > 1 ? `${e.list} ` : ''}${e.file ? `${e.file}:` : 'line '}${e.line}`;
    process.stdout.write(`      ${where}  ${e.problem}  ${JSON.stringify(e.text)}\n`);
  }
  if (examples.length > maxCliProblemExamples) process.stdout.write(`      … (${examples.length - maxCliProblemExamples} more examples in --json)\n`);
}

/** The lists the compiler left out of the filter (their names filter nothing), with why and the sources that bring them. */
function printLeftOut(leftOut: FilterListInfo['leftOut'], lists: FilterListInfo['leftOut']['lists'] = leftOut.lists, total = leftOut.total): void {
  if (total === 0) return;
  process.stdout.write(`left out:     ${total} list(s), their names filter nothing:\n`);
  for (const l of lists) {
    const from = l.sourceIds.length > 0 ? `; source ${l.sourceIds.join(', ')}` : '';
    process.stdout.write(`    ${pad(l.kind, 22)}${translate('en', `filtering.compile.${l.kind}`, { category: l.category })} (${l.names} ${l.names === 1 ? 'name' : 'names'}${from})\n`);
  }
  if (total > lists.length) process.stdout.write(`    … and ${total - lists.length} more\n`);
}

const listKinds = ['block', 'allow'] as const;
const listFormats = ['auto', 'domains', 'hosts', 'adblock'] as const;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** "lists add …": builds the source from the words and flags, checks what can be checked here, and lets the console check the rest. */
async function addListSource(api: Api, words: string[], flags: Flags): Promise<number> {
  const [kindWord, target, ...extra] = words;
  if (!kindWord || !target || extra.length > 0) throw new UsageError('lists add needs: ut1 CATEGORY | ut1-copy PATH | url URL | file PATH');
  const kind = oneOf(flags.kind, listKinds, '--kind');
  const format = oneOf(flags.format, listFormats, '--format');
  const category = flags.category?.trim();
  const categories = flags.categories
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const existing = (await api.call('filtering.status', {})).sources.map((s) => s.source.id);
  let source: ListSourceInput;
  switch (kindWord) {
    case 'ut1':
      source = { type: 'ut1-category', id: '', category: target, ...(flags.url ? { url: flags.url } : {}) };
      break;
    case 'ut1-copy': {
      // The console may run in another folder: send a full path.
      const full = path.resolve(target);
      source = { type: ut1CopyType(full), id: '', path: full, ...(categories && categories.length > 0 ? { categories } : {}) };
      break;
    }
    case 'url':
    case 'file': {
      if (!category) throw new UsageError(`lists add ${kindWord} needs --category (the category its names are filed under, e.g. gambling)`);
      const where = kindWord === 'url' ? { type: 'url' as const, url: target } : { type: 'file' as const, path: path.resolve(target) };
      source = { ...where, id: '', category, ...(kind ? { kind } : {}), ...(format ? { format } : {}) };
      break;
    }
    default:
      throw new UsageError(`lists add: unknown kind "${kindWord}" (ut1, ut1-copy, url or file)`);
  }
  source.id = flags.id ?? newListSourceId({ type: source.type, ...('category' in source ? { category: source.category } : {}), ...('path' in source ? { path: source.path } : {}) }, existing);
  const views = await api.call('lists.add', { source });
  const added = views.find((v) => v.source.id === source.id);
  process.stdout.write(`${source.id} added (${added?.status.state ?? 'unknown'}): ${added?.status.label ?? ''}\n`);
  if (added?.status.state === 'never-downloaded') process.stdout.write('not downloaded yet: run "lists refresh" (or turn on automatic refresh) before its categories are filtered\n');
  const current = (await api.call('filtering.status', {})).lists.current;
  printProblems(current?.reports.filter((r) => r.sourceId === source.id) ?? []);
  const leftOut = current?.leftOut.lists.filter((l) => l.sourceIds.includes(source.id)) ?? [];
  if (current && leftOut.length > 0) printLeftOut(current.leftOut, leftOut, leftOut.length);
  return cliExitCodes.ok;
}

async function dispatch(command: string, positionals: string[], flags: Flags, dataDir: string): Promise<number> {
  const api = (): Api => connect(dataDir);
  switch (command) {
    case 'status': {
      const status = await api().call('console.status', {});
      const file = readConsoleFile(dataDir)!;
      if (flags.json) process.stdout.write(JSON.stringify({ ...status, apiUrl: file.apiUrl, pid: file.pid }, null, 2) + '\n');
      else {
        process.stdout.write(
          [
            `version:      ${status.version} (${status.shell}${status.demo ? ', demo lab' : ''})`,
            `api:          ${file.apiUrl} (pid ${file.pid})`,
            `agent port:   ${status.agentPort}`,
            `fingerprint:  ${status.consoleFingerprint}`,
            `data folder:  ${status.dataDir}`,
          ].join('\n') + '\n',
        );
      }
      return cliExitCodes.ok;
    }
    case 'labs': {
      const labs = await api().call('labs.list', {});
      if (flags.json) process.stdout.write(JSON.stringify(labs, null, 2) + '\n');
      else for (const lab of labs) process.stdout.write(`${pad(lab.name, 24)}${pad(String(lab.machineCount) + ' PCs', 10)}${lab.id}\n`);
      return cliExitCodes.ok;
    }
    case 'machines': {
      const client = api();
      const labId = flags.lab ? (await findLab(client, flags.lab)).id : undefined;
      const machines = await client.call('machines.list', labId ? { labId } : {});
      if (flags.json) process.stdout.write(JSON.stringify(machines, null, 2) + '\n');
      else {
        for (const m of machines) {
          const state = m.state.locked ? 'locked' : 'unlocked';
          process.stdout.write(`${pad(m.name, 16)}${pad(m.online ? 'online' : 'offline', 9)}${pad(state, 10)}${pad(m.user ?? '-', 14)}${m.id}\n`);
        }
      }
      return cliExitCodes.ok;
    }
    case 'lock':
      return runCommand(api(), flags, { name: 'lock', message: flags.message ?? '' });
    case 'unlock':
      return runCommand(api(), flags, { name: 'unlock' });
    case 'message':
      return runCommand(api(), flags, { name: 'showMessage', text: requireFlag(flags, 'text') });
    case 'lesson': {
      const action = positionals[0];
      const client = api();
      const lab = await findLab(client, requireFlag(flags, 'lab'));
      if (action === 'start') {
        const profileId = flags.profile ? (await findProfile(client, flags.profile)).profile.id : undefined;
        const lesson = await client.call('lessons.start', {
          labId: lab.id,
          className: requireFlag(flags, 'class'),
          teacher: flags.teacher ?? '',
          ...(profileId !== undefined ? { profileId } : {}),
        });
        process.stdout.write(flags.json ? JSON.stringify(lesson, null, 2) + '\n' : `lesson ${lesson.className} started in ${lab.name} (${lesson.id})\n`);
        return cliExitCodes.ok;
      }
      if (action === 'end') {
        const lesson = await client.call('lessons.end', { labId: lab.id });
        process.stdout.write(lesson ? `lesson ${lesson.className} ended in ${lab.name}\n` : `no lesson was running in ${lab.name}\n`);
        return cliExitCodes.ok;
      }
      throw new UsageError('lesson needs start or end');
    }
    case 'profiles': {
      const { profiles, alwaysBlockedCategories } = await api().call('profiles.list', {});
      if (flags.json) process.stdout.write(JSON.stringify({ profiles, alwaysBlockedCategories }, null, 2) + '\n');
      else {
        for (const { profile, builtIn } of profiles) {
          process.stdout.write(
            `${pad(profile.name, 22)}${pad(profile.mode, 16)}${pad(`${profile.blockedCategories.length} blocked`, 13)}${pad(builtIn ? 'preset' : 'custom', 8)}${profile.id}\n`,
          );
        }
      }
      return cliExitCodes.ok;
    }
    case 'filter': {
      const action = positionals[0];
      const client = api();
      if (action === 'set' || action === 'lesson') {
        const lab = await findLab(client, requireFlag(flags, 'lab'));
        const wanted = requireFlag(flags, 'profile');
        if (action === 'set') {
          const profile = await findProfile(client, wanted);
          return printFilterChange(client, await client.call('labs.setBaselineProfile', { labId: lab.id, profileId: profile.profile.id }), flags.json);
        }
        const profileId = wanted === 'none' ? null : (await findProfile(client, wanted)).profile.id;
        return printFilterChange(client, await client.call('lessons.setProfile', { labId: lab.id, profileId }), flags.json);
      }
      if (action === 'status') {
        const labId = flags.lab ? (await findLab(client, flags.lab)).id : undefined;
        const status = await client.call('filtering.status', labId ? { labId } : {});
        if (flags.json) {
          process.stdout.write(JSON.stringify({ labs: status.labs, machines: status.machines }, null, 2) + '\n');
          return cliExitCodes.ok;
        }
        const labs = new Map((await client.call('labs.list', {})).map((l) => [l.id, l.name]));
        const names = await machineNames(client);
        for (const lab of status.labs) {
          process.stdout.write(
            `${pad(labs.get(lab.labId) ?? lab.labId, 24)}${lab.effective.name} (${lab.effective.mode})${lab.lessonProfileId ? ' — lesson profile' : ''}\n`,
          );
        }
        for (const m of status.machines) process.stdout.write(`  ${pad(names.get(m.machineId) ?? m.machineId, 16)}${filterStateLine(m)}\n`);
        return cliExitCodes.ok;
      }
      throw new UsageError('filter needs set, lesson or status');
    }
    case 'lists': {
      const client = api();
      if (positionals[0] === 'add') return addListSource(client, positionals.slice(1), flags);
      if (positionals[0] === 'remove') {
        const sourceId = positionals[1];
        if (!sourceId || positionals.length > 2) throw new UsageError('lists remove needs one source id (see "lists")');
        const { removed } = await client.call('lists.remove', { sourceId });
        if (!removed) throw new RefusedError({ code: 'not-found', ...textOf('errors.listSourceNotFound', { source: sourceId }) });
        process.stdout.write(`${sourceId} removed; the lists are compiled again without it\n`);
        return cliExitCodes.ok;
      }
      if (positionals[0] === 'refresh') {
        const sources = await client.call('lists.refresh', {});
        for (const s of sources) process.stdout.write(`${pad(s.source.id, 28)}${s.status.state}\n`);
        return cliExitCodes.ok;
      }
      if (positionals[0] !== undefined) throw new UsageError(`lists: unknown action ${positionals[0]}`);
      const status = await client.call('filtering.status', {});
      if (flags.json) {
        process.stdout.write(JSON.stringify({ lists: status.lists, sources: status.sources }, null, 2) + '\n');
        return cliExitCodes.ok;
      }
      const list = status.lists.current;
      process.stdout.write(
        list
          ? `list:         ${list.sha256.slice(0, 16)}… ${list.bytes} bytes, ${list.entries} entries, ${list.categories.length} categories, built ${new Date(list.builtAt).toLocaleString()}\n`
          : `list:         ${status.lists.building ? 'compiling…' : 'none yet'}\n`,
      );
      process.stdout.write(`auto refresh: ${status.lists.autoRefresh ? 'on' : 'off (third-party lists are downloaded only with "lists refresh")'}\n`);
      if (status.lists.lastError) process.stdout.write(`last error:   ${status.lists.lastError}\n`);
      if (list) printLeftOut(list.leftOut);
      const reports = list?.reports ?? [];
      for (const s of status.sources) {
        process.stdout.write(`${pad(s.source.id, 28)}${pad(s.status.state, 18)}${s.status.label}\n`);
        printProblems(reports.filter((r) => r.sourceId === s.source.id));
      }
      const own = reports.filter((r) => r.sourceId === null && r.bad + r.skipped > 0);
      if (own.length > 0) {
        process.stdout.write(`${pad('(SafeLab lists)', 28)}\n`);
        printProblems(own);
      }
      const never = status.sources.filter((s) => s.status.state === 'never-downloaded').length;
      if (never > 0) process.stdout.write(`${never} source(s) never downloaded: their categories are not filtered yet\n`);
      return cliExitCodes.ok;
    }
    case 'blocked': {
      const client = api();
      const labId = flags.lab ? (await findLab(client, flags.lab)).id : undefined;
      const machineId = flags.machine ? findMachineIn(await client.call('machines.list', {}), flags.machine).id : undefined;
      const result = await client.call('filtering.blocked', {
        ...(labId ? { labId } : {}),
        ...(machineId ? { machineId } : {}),
        ...(flags.lesson ? { lessonId: flags.lesson } : {}),
      });
      if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        const names = await machineNames(client);
        for (const a of result.attempts) {
          process.stdout.write(`${new Date(a.at).toLocaleString()}  ${pad(names.get(a.machineId) ?? a.machineId, 16)}${pad(a.category, 20)}${a.name}\n`);
        }
        process.stdout.write(`${result.total} blocked attempt(s)\n`);
      }
      return cliExitCodes.ok;
    }
    case 'enrol-code':
    case 'enroll-code': {
      const client = api();
      const labId = flags.lab ? (await findLab(client, flags.lab)).id : null;
      const ttl = flags.ttl === undefined ? 30 : Number(flags.ttl);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 24 * 60) throw new UsageError('--ttl needs minutes between 1 and 1440');
      const enrolment = await client.call('enrolment.create', { labId, ttlMinutes: ttl });
      if (flags.file) writeFileSync(flags.file, JSON.stringify(enrolment.file, null, 2) + '\n', { mode: 0o600 });
      if (flags.json) process.stdout.write(JSON.stringify(enrolment, null, 2) + '\n');
      else {
        const commands = agentCommands(enrolment.consoleUrls[0] ?? enrolment.file.consoleUrl, enrolment.code);
        process.stdout.write(
          [
            `code:        ${enrolment.code}`,
            `expires:     ${new Date(enrolment.expiresAt).toLocaleString()}`,
            `console:     ${enrolment.consoleUrls.join('  ')}`,
            ...(flags.file ? [`file:        ${flags.file}`] : []),
            '',
            'on each PC, as administrator, in the SafeLab folder:',
            `  ${commands.withCode}`,
            ...(flags.file ? [`  or: ${agentCommands(enrolment.file.consoleUrl, enrolment.code, path.basename(flags.file)).withFile}`] : []),
            `  then: ${commands.run}`,
          ].join('\n') + '\n',
        );
      }
      return cliExitCodes.ok;
    }
    case 'remove': {
      const client = api();
      const machine = findMachineIn(await client.call('machines.list', {}), requireFlag(flags, 'machine'));
      const { removed } = await client.call('machines.remove', { machineId: machine.id });
      process.stdout.write(removed ? `${machine.name} removed; its key is revoked\n` : `${machine.name} was already removed\n`);
      return cliExitCodes.ok;
    }
    case 'inventory': {
      const client = api();
      const machine = findMachineIn(await client.call('machines.list', {}), requireFlag(flags, 'machine'));
      const inventory = await client.call('machines.inventory', { machineId: machine.id, refresh: flags.refresh ?? false });
      if (flags.json || !inventory) process.stdout.write(JSON.stringify(inventory, null, 2) + '\n');
      else {
        const gb = (n: number): string => `${(n / 1024 ** 3).toFixed(1)} GB`;
        process.stdout.write(
          [
            `machine:  ${machine.name} (${machine.id})`,
            `cpu:      ${inventory.cpu.model}, ${inventory.cpu.cores} cores`,
            `memory:   ${gb(inventory.memoryBytes)}`,
            `os:       ${inventory.os.distro} ${inventory.os.release} ${inventory.os.arch}`,
            ...inventory.disks.map((d) => `disk:     ${d.mount} ${gb(d.usedBytes)} / ${gb(d.sizeBytes)}`),
            ...inventory.networkAdapters.map((n) => `network:  ${n.name} ${n.mac} ${n.ipv4.join(' ')}`),
            `gathered: ${new Date(inventory.gatheredAt).toLocaleString()}`,
          ].join('\n') + '\n',
        );
      }
      return cliExitCodes.ok;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values: flags, positionals } = parse(argv);
    const [command, ...rest] = positionals;
    if (!command || command === 'help' || flags.help) {
      process.stdout.write(usage);
      return command || flags.help ? cliExitCodes.ok : cliExitCodes.usage;
    }
    const dataDir = resolveConsoleDataDir(flags['data-dir'] ? ['--data-dir', flags['data-dir']] : []);
    return await dispatch(command, rest, flags, dataDir);
  } catch (error) {
    if (error instanceof UsageError) {
      const text = bilingual('errors.usage', { detail: error.message });
      printBilingual(text.vi, text.en);
      return cliExitCodes.usage;
    }
    if (error instanceof NotRunningError) {
      const text = bilingual(error.key, error.params);
      printBilingual(text.vi, text.en);
      return cliExitCodes.consoleNotRunning;
    }
    if (error instanceof RefusedError) {
      printBilingual(error.body.message, error.body.messageEn ?? error.body.message);
      return cliExitCodes.refused;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return cliExitCodes.unexpected;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  },
);
