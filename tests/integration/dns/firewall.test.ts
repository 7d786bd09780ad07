// The DNS firewall with the real agent (dist/agent/cli.js) and the real kernel, inside two network
// namespaces this test creates, so nothing touches this machine's own networking:
//   "pc"       — the student PC: the agent (root) with its filter on 127.0.0.1:53 and [::1]:53,
//                a stand-in for systemd-resolved's stub on 127.0.0.53 (dnsmasq, running as
//                nobody), and student programs (uid 65534);
//   "internet" — behind a veth: a DNS server (dnsmasq) answering as 8.8.8.8, 2001:4860:4860::8888
//                and 10.99.0.2, where blocked names get a real address (6.6.6.6) the filter would
//                never give, and a TLS stand-in on ports 443 and 853 (TCP and UDP) on 1.1.1.1,
//                2606:4700:4700::1111 (listed resolvers) and 10.99.0.2 / fd99::2 (not listed).
// The agent's own upstream is 8.8.8.8 itself, so one address is both "a program going round the
// filter" (redirected) and "the filter's way out" (left alone). Skipped where namespaces, veth or
// nftables NAT are not allowed; every wait is bounded.
import { execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAgentConfig, writeAgentKey } from '../../../src/agent/config.js';
import { MatcherStore } from '../../../src/agent/dns/matcher-store.js';
import { dnsFirewallScript } from '../../../src/agent/system/linux/firewall.js';
import { readEncryptedDnsAddresses } from '../../../src/agent/system/encrypted-dns-addresses.js';
import { builtFile } from '../helpers/paths.js';
import { exited, spawnTracked, stopAllChildren, stopChild } from '../helpers/processes.js';
import { LineLog, until, withTimeout } from '../helpers/wait.js';
import { compileTestList, schoolProfile } from '../../unit/dns/lists.js';

/** Namespace holders end on their own after this, should the test process die without cleaning up. */
const holderLifetimeSeconds = 300;
const commandTimeoutMs = 10_000;
const student = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
/** An X display nothing listens on: a Linux desktop that cannot be opened. */
const deadDisplay = ':4093';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let root: string;
let probeScript: string;
let pcHolder: ChildProcess | null = null;
let internetHolder: ChildProcess | null = null;
let internetDns: LineLog | null = null;
let unavailable = '';

function run(command: string, args: string[], timeoutMs = commandTimeoutMs): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a command inside a namespace (held by `holder`), as root or as a student. */
function inNs(holder: ChildProcess | null, args: string[], options: { asStudent?: boolean; timeoutMs?: number } = {}): Promise<Result> {
  return run('nsenter', ['-t', String(holder!.pid), '-n', ...(options.asStudent ? student : []), ...args], options.timeoutMs);
}

async function mustInNs(holder: ChildProcess | null, args: string[]): Promise<void> {
  const r = await inNs(holder, args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.trim()}`);
}

function spawnInNs(holder: ChildProcess | null, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawnTracked('nsenter', ['-t', String(holder!.pid), '-n', ...args], env ? { env } : {});
}

/** `dig` by a student program on the PC; the short answer ('' when none came). */
async function studentDig(server: string, name: string, ...extra: string[]): Promise<string> {
  const r = await inNs(pcHolder, ['dig', `@${server}`, name, ...extra, '+short', '+time=2', '+tries=1'], { asStudent: true });
  return r.code === 0 ? r.stdout.trim() : '';
}

/** A student program opening TCP or sending UDP to address:port: 'open' or the error code. */
async function studentConnect(proto: 'tcp' | 'udp', host: string, port: number, asStudent = true): Promise<string> {
  const r = await inNs(pcHolder, [process.execPath, probeScript, proto, host, String(port)], { asStudent });
  return r.stdout.trim();
}

async function safelabTable(): Promise<boolean> {
  return (await inNs(pcHolder, ['nft', 'list', 'table', 'inet', 'safelab'])).code === 0;
}

class AgentInNs {
  readonly log: LineLog;
  constructor(readonly child: ChildProcess) {
    this.log = new LineLog(child.stdout, child.stderr);
  }
  /** SIGTERM once the agent has started (it dials the console, which is away): the way a service stops. */
  async stop(): Promise<number | string> {
    await this.log.waitFor(/connect-failed/, 20_000);
    return stopChild(this.child, 'SIGTERM', 5000);
  }
  /** Like a power cut: nothing is undone. */
  kill(): Promise<number | string> {
    return stopChild(this.child, 'SIGKILL', 1000);
  }
}

let dataDir: string;
let agent: AgentInNs | null = null;

/** Starts the agent in the PC namespace; a flag given as '' is left out (e.g. no --dns-upstream). */
function startAgent(flags: string[] = [], env?: NodeJS.ProcessEnv): AgentInNs {
  const args = [process.execPath, builtFile('agent/cli.js'), 'run', '--data-dir', dataDir, '--hostname', 'PC-FW'];
  const defaults = { '--platform': 'simulated', '--dns-listen': '127.0.0.1:53,[::1]:53', '--dns-upstream': '8.8.8.8:53', '--system-resolver': 'off', '--dns-firewall': 'on' };
  const given = new Map<string, string>();
  for (let i = 0; i + 1 < flags.length; i += 2) given.set(flags[i]!, flags[i + 1]!);
  for (const [flag, value] of Object.entries({ ...defaults, ...Object.fromEntries(given) })) if (value !== '') args.push(flag, value);
  agent = new AgentInNs(spawnInNs(pcHolder, args, { ...process.env, SAFELAB_AGENT_DATA_DIR: '', ...env }));
  return agent;
}

async function startFilteringAgent(flags: string[] = []): Promise<AgentInNs> {
  const a = startAgent(flags);
  await a.log.waitFor(/dns-firewall-(on|failed)/, 20_000);
  return a;
}

/** What NetworkManager and resolvconf do: write a new file beside it and rename it over. */
function replaceByRename(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** How often the internet's DNS server was asked `name`, and from where. */
function internetAsked(name: string): string[] {
  return internetDns!.lines.filter((l) => l.includes(`query[A] ${name} from`)).map((l) => l.replace(/^.* from /, ''));
}

const probeSource = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port] = process.argv.slice(2);
const done = (what) => { console.log(what); process.exit(0); };
setTimeout(() => done('timeout'), 3000);
if (proto === 'tcp') {
  const s = net.connect({ host, port: +port });
  s.on('data', () => done('open'));
  s.on('error', (e) => done(e.code));
} else {
  const u = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  u.on('message', () => done('open'));
  u.on('error', (e) => done(e.code));
  u.connect(+port, host, () => u.send('ping'));
}`;

/** The TLS stand-in on the internet side: answers any TCP connection and UDP datagram on 443 and 853. */
const servicesSource = `
const net = require('net'), dgram = require('dgram');
for (const port of [443, 853]) {
  net.createServer((s) => s.end('hello')).listen(port, '::');
  const u = dgram.createSocket('udp6');
  u.on('message', (m, r) => u.send('pong', r.port, r.address));
  u.bind(port, '::');
}
console.log('listening');
setTimeout(() => process.exit(0), ${holderLifetimeSeconds * 1000});`;

async function setUpNetwork(): Promise<void> {
  pcHolder = spawnTracked('unshare', ['-n', 'sleep', String(holderLifetimeSeconds)]);
  internetHolder = spawnTracked('unshare', ['-n', 'sleep', String(holderLifetimeSeconds)]);
  // unshare has made the namespace once it has become sleep.
  await until(async () => (await run('readlink', [`/proc/${internetHolder!.pid}/exe`])).stdout.includes('sleep') && (await run('readlink', [`/proc/${pcHolder!.pid}/exe`])).stdout.includes('sleep'), 5000, 'the namespaces');
  await mustInNs(pcHolder, ['ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', String(internetHolder!.pid)]);
  for (const cmd of [
    'ip link set lo up',
    'ip link set va up',
    'ip addr add 10.99.0.1/24 dev va',
    'ip -6 addr add fd99::1/64 dev va nodad',
    'ip route add default via 10.99.0.2',
    'ip -6 route add default via fd99::2',
  ]) await mustInNs(pcHolder, cmd.split(' '));
  for (const cmd of [
    'ip link set lo up',
    'ip link set vb up',
    'ip addr add 10.99.0.2/24 dev vb',
    'ip addr add 8.8.8.8/32 dev vb',
    'ip addr add 1.1.1.1/32 dev vb',
    'ip -6 addr add fd99::2/64 dev vb nodad',
    'ip -6 addr add 2001:4860:4860::8888/128 dev vb nodad',
    'ip -6 addr add 2606:4700:4700::1111/128 dev vb nodad',
  ]) await mustInNs(internetHolder, cmd.split(' '));
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    unavailable = 'needs root (network namespaces, nftables)';
    return;
  }
  for (const tool of ['unshare', 'nsenter', 'ip', 'nft', 'dig', 'dnsmasq', 'setpriv']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) {
      unavailable = `${tool} is not installed`;
      return;
    }
  }
  root = mkdtempSync(path.join(tmpdir(), 'safelab-firewall-'));
  // Student programs (uid 65534) run the probe from here.
  chmodSync(root, 0o755);
  probeScript = path.join(root, 'probe.cjs');
  writeFileSync(probeScript, probeSource, { mode: 0o644 });
  try {
    await setUpNetwork();
  } catch (error) {
    unavailable = `cannot make network namespaces here: ${(error as Error).message}`;
    return;
  }
  // Find out early whether the kernel takes the rules at all (a NAT output hook, reject, sets).
  const addresses = await readEncryptedDnsAddresses();
  const check = await new Promise<Result>((resolve) => {
    const child = execFile('nsenter', ['-t', String(pcHolder!.pid), '-n', 'nft', '-c', '-f', '-'], { timeout: commandTimeoutMs }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
    child.stdin!.end(dnsFirewallScript({ filter: [{ host: '127.0.0.1', port: 53 }, { host: '::1', port: 53 }], exemptUids: [0], encryptedDnsResolvers: [...addresses.ipv4, ...addresses.ipv6] }));
  });
  if (check.code !== 0) {
    unavailable = `the kernel refuses the firewall rules here: ${check.stderr.trim()}`;
    return;
  }

  const dns = spawnInNs(internetHolder, [
    'dnsmasq', '--keep-in-foreground', '--log-queries', '--log-facility=-', '--no-resolv', '--no-hosts', '--pid-file=',
    '--bind-interfaces', '--listen-address=10.99.0.2,8.8.8.8,fd99::2,2001:4860:4860::8888', '--except-interface=lo',
    '--address=/site.test/10.1.2.3', '--address=/site.test/fd00::123', '--address=/porn.test/6.6.6.6', '--address=/porn.test/fd00::666',
  ]);
  internetDns = new LineLog(dns.stdout, dns.stderr);
  const services = spawnInNs(internetHolder, [process.execPath, '-e', servicesSource]);
  const servicesLog = new LineLog(services.stdout, services.stderr);
  // systemd-resolved's stand-in: a stub on 127.0.0.53 that forwards to the network's DNS server
  // (10.99.0.2, as a DHCP server would hand out) as an unprivileged user, and knows one name itself.
  const stub = spawnInNs(pcHolder, [
    'dnsmasq', '--keep-in-foreground', '--log-facility=-', '--no-resolv', '--no-hosts', '--pid-file=', '--user=nobody',
    '--bind-interfaces', '--listen-address=127.0.0.53', '--server=10.99.0.2', '--address=/stub-only.test/7.7.7.7',
  ]);
  const stubLog = new LineLog(stub.stdout, stub.stderr);
  await Promise.all([internetDns.waitFor(/started/, 10_000), servicesLog.waitFor(/listening/, 10_000), stubLog.waitFor(/started/, 10_000)]);

  dataDir = path.join(root, 'agent');
  const keys = generateKeyPairSync('ed25519');
  writeAgentConfig(dataDir, {
    format: 'safelab-agent',
    version: 1,
    machineId: randomUUID(),
    // No console answers there: the agent filters with its last list, as when the console is away.
    consoleUrl: 'wss://10.99.0.2:47100/agent',
    consoleFingerprint: Array.from({ length: 32 }, () => 'AB').join(':'),
    publicKey: keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    enrolledAt: Date.now(),
  });
  writeAgentKey(dataDir, keys.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'));
  await new MatcherStore({ dataDir }).install(compileTestList(), schoolProfile());
}, 60_000);

afterAll(async () => {
  await agent?.kill();
  await stopAllChildren();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the DNS firewall in a network namespace', () => {
  it('before the agent runs, a student program asking 8.8.8.8 itself goes round the filter (the gap)', async (ctx) => {
    if (unavailable) ctx.skip();
    expect(await safelabTable()).toBe(false);
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('6.6.6.6');
    expect(await studentConnect('tcp', '1.1.1.1', 443)).toBe('open');
  });

  it('sends a student program’s DNS to 8.8.8.8 through the filter, over UDP and TCP: blocked names blocked, allowed ones answered', async (ctx) => {
    if (unavailable) ctx.skip();
    const a = await startFilteringAgent();
    expect(a.log.has(/dns-firewall-on redirectTo=127.0.0.1:53,\[::1\]:53 exemptUid=0/)).toBe(true);
    expect(await safelabTable()).toBe(true);
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('0.0.0.0');
    expect(await studentDig('8.8.8.8', 'porn.test', '+tcp')).toBe('0.0.0.0');
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('10.1.2.3');
    expect(await studentDig('8.8.8.8', 'site.test', '+tcp')).toBe('10.1.2.3');
    // Any server, not just the well-known ones.
    expect(await studentDig('10.99.0.2', 'casino.test')).toBe('0.0.0.0');
  });

  it('does the same for DNS over IPv6', async (ctx) => {
    if (unavailable) ctx.skip();
    expect(await studentDig('2001:4860:4860::8888', 'porn.test', 'AAAA')).toBe('::');
    expect(await studentDig('2001:4860:4860::8888', 'porn.test', 'A', '+tcp')).toBe('0.0.0.0');
    expect(await studentDig('2001:4860:4860::8888', 'site.test', 'AAAA', '+tcp')).toBe('fd00::123');
  });

  it('lets the filter’s own upstream queries out as they are: they reach 8.8.8.8 from the PC, not looped back to the filter', async (ctx) => {
    if (unavailable) ctx.skip();
    const name = `once-${Date.now()}.site.test`;
    expect(await studentDig('8.8.8.8', name)).toBe('10.1.2.3');
    await until(() => internetAsked(name).length > 0, 5000, `the internet's DNS server to see ${name}`);
    // Looped back, the query would never have left the PC (the filter would only ever ask itself).
    expect([...new Set(internetAsked(name))]).toEqual(['10.99.0.1']);
    // The agent's own user is left alone: the filter itself may reach 8.8.8.8 directly.
    expect(await studentConnect('tcp', '1.1.1.1', 443, false)).toBe('open');
  });

  it('leaves DNS to this PC’s own addresses alone, and filters what a local resolver (systemd-resolved’s stub) asks the network', async (ctx) => {
    if (unavailable) ctx.skip();
    expect(await studentDig('127.0.0.1', 'porn.test')).toBe('0.0.0.0');
    expect(await studentDig('::1', 'porn.test')).toBe('0.0.0.0');
    // The stub answers its own name: the query to 127.0.0.53 reached it, not the filter.
    expect(await studentDig('127.0.0.53', 'stub-only.test')).toBe('7.7.7.7');
    // Whatever server the stub's routing picks (here the DHCP server 10.99.0.2), the filter decides.
    expect(await studentDig('127.0.0.53', 'porn.test')).toBe('0.0.0.0');
    expect(await studentDig('127.0.0.53', 'site.test')).toBe('10.1.2.3');
  });

  it('refuses DoT and DoQ on port 853 everywhere, and HTTPS/QUIC to listed encrypted-DNS resolvers, but not to other servers', async (ctx) => {
    if (unavailable) ctx.skip();
    expect(await studentConnect('tcp', '1.1.1.1', 443)).toBe('ECONNREFUSED');
    expect(await studentConnect('udp', '1.1.1.1', 443)).toMatch(/^E(HOSTUNREACH|CONNREFUSED|ACCES)$/);
    expect(await studentConnect('tcp', '1.1.1.1', 853)).toBe('ECONNREFUSED');
    expect(await studentConnect('tcp', '10.99.0.2', 853)).toBe('ECONNREFUSED');
    expect(await studentConnect('udp', '10.99.0.2', 853)).toMatch(/^E(HOSTUNREACH|CONNREFUSED|ACCES)$/);
    expect(await studentConnect('tcp', '2606:4700:4700::1111', 443)).toBe('ECONNREFUSED');
    expect(await studentConnect('udp', '2606:4700:4700::1111', 443)).toMatch(/^E(HOSTUNREACH|CONNREFUSED|ACCES)$/);
    // An ordinary web server is reached over HTTPS and QUIC as before.
    expect(await studentConnect('tcp', '10.99.0.2', 443)).toBe('open');
    expect(await studentConnect('udp', '10.99.0.2', 443)).toBe('open');
    expect(await studentConnect('tcp', 'fd99::2', 443)).toBe('open');
  });

  it('removes its table when the agent stops: DNS goes where programs send it again', async (ctx) => {
    if (unavailable) ctx.skip();
    expect(await agent!.stop()).toBe(0);
    expect(agent!.log.has(/dns-firewall-removed outcome=removed/)).toBe(true);
    expect(await safelabTable()).toBe(false);
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('6.6.6.6');
    expect(await studentConnect('tcp', '1.1.1.1', 443)).toBe('open');
  });

  it('after a crash, replaces the table it left on the next start and removes it on stop', async (ctx) => {
    if (unavailable) ctx.skip();
    await (await startFilteringAgent()).kill();
    // What a crash leaves: every program's DNS sent to a filter that does not run.
    expect(await safelabTable()).toBe(true);
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('');
    const again = await startFilteringAgent();
    expect(again.log.has(/dns-firewall-on/)).toBe(true);
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('10.1.2.3');
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('0.0.0.0');
    const listed = await inNs(pcHolder, ['nft', 'list', 'tables']);
    expect(listed.stdout.match(/table inet safelab/g)).toHaveLength(1);
    expect(await again.stop()).toBe(0);
    expect(await safelabTable()).toBe(false);
  });

  it('after a crash, an agent started with --dns-listen off removes the table', async (ctx) => {
    if (unavailable) ctx.skip();
    await (await startFilteringAgent()).kill();
    expect(await safelabTable()).toBe(true);
    const off = startAgent(['--dns-listen', 'off']);
    await off.log.waitFor(/dns-firewall-recovered outcome=removed/, 20_000);
    expect(await safelabTable()).toBe(false);
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('10.1.2.3');
    expect(await off.stop()).toBe(0);
  });

  it('after a crash, with port 53 taken, the filter cannot start and the table goes too', async (ctx) => {
    if (unavailable) ctx.skip();
    await (await startFilteringAgent()).kill();
    const squatter = spawnInNs(pcHolder, [process.execPath, '-e', "const s = require('dgram').createSocket('udp4'); s.bind(53, '127.0.0.1', () => console.log('bound')); setTimeout(() => 0, 60000);"]);
    await new LineLog(squatter.stdout).waitFor(/bound/, 10_000);
    try {
      const blocked = startAgent();
      await blocked.log.waitFor(/dns-firewall-recovered outcome=removed/, 20_000);
      expect(blocked.log.has(/dns-unavailable/)).toBe(true);
      expect(await safelabTable()).toBe(false);
      expect(await blocked.stop()).toBe(0);
    } finally {
      await stopChild(squatter, 'SIGKILL', 1000);
    }
  });

  it('with a resolver on this PC as its upstream, runs without the firewall rather than loop, and says why once', async (ctx) => {
    if (unavailable) ctx.skip();
    const a = await startFilteringAgent(['--dns-upstream', '127.0.0.53:53']);
    expect(a.log.lines.filter((l) => l.includes('dns-firewall-failed'))).toEqual([expect.stringMatching(/code=firewall-plan-invalid .*resolver on this PC \(127\.0\.0\.53:53\)/)]);
    expect(await safelabTable()).toBe(false);
    // The filter still answers whoever asks it.
    expect(await studentDig('127.0.0.1', 'porn.test')).toBe('0.0.0.0');
    expect(await studentDig('127.0.0.1', 'site.test')).toBe('10.1.2.3');
    expect(await a.stop()).toBe(0);
  });

  it('without nft on the PC, filters on without the firewall and says so once', async (ctx) => {
    if (unavailable) ctx.skip();
    const pathWithoutNft = '/usr/local/bin:/usr/bin:/bin';
    if ((await run('sh', ['-c', `PATH=${pathWithoutNft} command -v nft`])).code === 0) ctx.skip();
    const bare = startAgent([], { PATH: pathWithoutNft });
    await bare.log.waitFor(/dns-firewall-failed/, 20_000);
    expect(bare.log.lines.filter((l) => l.includes('dns-firewall-failed'))).toEqual([expect.stringMatching(/code=firewall-unavailable .*nftables/)]);
    expect(await safelabTable()).toBe(false);
    expect(await studentDig('127.0.0.1', 'porn.test')).toBe('0.0.0.0');
    expect(await bare.stop()).toBe(0);
    expect(bare.log.has(/dns-firewall-remove/)).toBe(false);
  });
  it('after a crash, an agent whose desktop cannot open still puts the resolver back, replaces the firewall and filters', async (ctx) => {
    if (unavailable) ctx.skip();
    const resolvConf = path.join(root, 'resolv-crash.conf');
    const original = '# from DHCP\nnameserver 8.8.8.8\n';
    writeFileSync(resolvConf, original);
    await (await startFilteringAgent(['--system-resolver', resolvConf])).kill();
    // What a crash leaves: the resolver and the firewall sending DNS to a filter that does not run.
    expect(readFileSync(resolvConf, 'utf8')).toContain('nameserver 127.0.0.1');
    expect(await safelabTable()).toBe(true);
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('');

    // The next start has no desktop it can open (no X on that display): it must not matter.
    const noDesktop = startAgent(['--platform', 'linux', '--display', deadDisplay, '--system-resolver', resolvConf]);
    await noDesktop.log.waitFor(/desktop-unavailable/, 20_000);
    expect(noDesktop.log.has(/dns-resolver-recovered outcome=restored/)).toBe(true);
    expect(noDesktop.log.has(/dns-firewall-on/)).toBe(true);
    expect(noDesktop.child.exitCode).toBeNull();
    expect(readFileSync(resolvConf, 'utf8')).toContain('nameserver 127.0.0.1');
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('0.0.0.0');
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('10.1.2.3');
    expect(await noDesktop.stop()).toBe(0);
    expect(readFileSync(resolvConf, 'utf8')).toBe(original);
    expect(await safelabTable()).toBe(false);
  });

  it('after a crash, an agent refusing a platform that cannot exist here puts the resolver back and removes the firewall before it exits', async (ctx) => {
    if (unavailable) ctx.skip();
    const resolvConf = path.join(root, 'resolv-refused.conf');
    const original = '# from DHCP\nnameserver 8.8.8.8\n';
    writeFileSync(resolvConf, original);
    await (await startFilteringAgent(['--system-resolver', resolvConf])).kill();
    expect(await safelabTable()).toBe(true);
    const refused = startAgent(['--platform', 'win32', '--system-resolver', resolvConf]);
    expect(await withTimeout(exited(refused.child), 20_000, 'the refusing agent to exit')).toBe(6);
    expect(refused.log.has(/dns-resolver-recovered outcome=restored/)).toBe(true);
    expect(refused.log.has(/dns-firewall-recovered outcome=removed/)).toBe(true);
    expect(readFileSync(resolvConf, 'utf8')).toBe(original);
    expect(await safelabTable()).toBe(false);
    // Not filtered, but not without DNS either.
    expect(await studentDig('8.8.8.8', 'site.test')).toBe('10.1.2.3');
  });

  it('when the system resolver later names a resolver on this PC, keeps forwarding to the servers it had instead of looping', async (ctx) => {
    if (unavailable) ctx.skip();
    const resolvConf = path.join(root, 'resolv-nm.conf');
    writeFileSync(resolvConf, 'nameserver 8.8.8.8\n');
    // No --dns-upstream: the filter's way out follows the system resolver.
    const a = await startFilteringAgent(['--system-resolver', resolvConf, '--dns-upstream', '']);
    expect(a.log.has(/dns-firewall-on/)).toBe(true);
    // NetworkManager switches to a resolver of its own on this PC (here the stub on 127.0.0.53).
    replaceByRename(resolvConf, '# Generated by NetworkManager\nnameserver 127.0.0.53\n');
    // Logged once the filter has taken (or refused) the new setting's servers.
    await a.log.waitFor(/dns-resolver-pointed-again/, 10_000);
    expect(readFileSync(resolvConf, 'utf8')).toContain('nameserver 127.0.0.1');
    // Still answered, by 8.8.8.8 asked from the PC itself: no loop through the stub.
    const name = `after-nm-${Date.now()}.site.test`;
    expect(await studentDig('127.0.0.1', name)).toBe('10.1.2.3');
    await until(() => internetAsked(name).length > 0, 5000, `the internet's DNS server to see ${name}`);
    expect([...new Set(internetAsked(name))]).toEqual(['10.99.0.1']);
    expect(a.log.has(/dns-upstream-local-left-out leftOut=127\.0\.0\.53:53 using=8\.8\.8\.8:53 keptCurrent=true/)).toBe(true);
    expect(await safelabTable()).toBe(true);
    expect(await studentDig('8.8.8.8', 'porn.test')).toBe('0.0.0.0');
    expect(await a.stop()).toBe(0);
  });

  it('when the system resolver names only a resolver on this PC and the filter had no other, takes the firewall out of force and says why', async (ctx) => {
    if (unavailable) ctx.skip();
    const resolvConf = path.join(root, 'resolv-none.conf');
    writeFileSync(resolvConf, '# no DNS server handed out yet\n');
    const a = await startFilteringAgent(['--system-resolver', resolvConf, '--dns-upstream', '']);
    expect(a.log.has(/dns-firewall-on/)).toBe(true);
    replaceByRename(resolvConf, 'nameserver 127.0.0.53\n');
    await a.log.waitFor(/dns-resolver-pointed-again/, 10_000);
    // DNS works: the filter asks the stub, whose own queries now leave as they are.
    expect(await studentDig('127.0.0.1', 'site.test')).toBe('10.1.2.3');
    expect(await studentDig('127.0.0.1', 'porn.test')).toBe('0.0.0.0');
    expect(await safelabTable()).toBe(false);
    expect(a.log.lines.filter((l) => l.includes('dns-firewall-failed'))).toEqual([expect.stringMatching(/code=firewall-plan-invalid .*now names a resolver on this PC \(127\.0\.0\.53:53\)/)]);
    expect(await a.stop()).toBe(0);
    expect(a.log.lines.filter((l) => l.includes('dns-firewall-removed'))).toHaveLength(1);
  });
});
