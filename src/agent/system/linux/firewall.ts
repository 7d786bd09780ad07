// Linux: the DNS firewall, one nftables table owned by SafeLab (`inet safelab`). It
// - redirects every DNS query (UDP and TCP port 53, IPv4 and IPv6) that a program on this PC sends
//   to another machine to the agent's filter instead — 8.8.8.8 asked directly, and systemd-resolved's
//   own upstream queries, so the filter decides whatever resolved's routing picked (see the top of
//   ./resolver.ts for why the resolved drop-in alone cannot promise that);
// - refuses DNS over TLS and DNS over QUIC (port 853) to every address, and every TCP/UDP
//   connection but plain DNS to the shipped public encrypted-DNS resolvers (DoH by bare address:
//   https://1.1.1.1/dns-query);
// - leaves alone the agent's own programs (by user id: the filter's upstream queries must leave
//   as they are, or they would come back to it) and anything addressed to this PC itself (the
//   filter, systemd-resolved's stub on 127.0.0.53).
// The table itself is the saved state: it is replaced in one nft transaction and removed by name,
// so what a crashed run left is found and replaced (or removed) on the next start.
//
// Not covered, by design or for now: programs running as the agent's user (root: students must not
// have it); traffic this PC forwards for others (containers, VMs: prerouting is not hooked); DoH to
// a server that is not on the list, reached by bare address (its name is blocked by the filter).

import { spawn } from 'node:child_process';
import net from 'node:net';
import { checkAddressOrPrefix } from '../encrypted-dns-addresses.js';
import { SystemControlError, type DnsFirewallPlan, type DnsFirewallRemoveOutcome, type ResolverAddress } from '../system-control.js';

/** The table SafeLab owns; nothing else of the ruleset is ever touched. */
export const firewallFamily = 'inet';
export const firewallTableName = 'safelab';
/** Plain DNS: redirected to the filter. */
export const plainDnsPort = 53;
/** DNS over TLS (RFC 7858) and DNS over QUIC (RFC 9250): refused to every address. */
export const encryptedDnsPort = 853;
/** How long one nft call may take. */
export const nftCommandTimeoutMs = 15_000;
/** nft's output is a few lines; more is kept out of memory and logs. */
export const maxNftOutputBytes = 64 * 1024;
/** nat runs before filter on the output hook: redirected packets are seen by the filter chain with their new address. */
const natOutputPriority = -100;
const filterOutputPriority = 0;
/** The kernel's user ids are 32-bit; (uid_t)-1 means "no user". */
const maxUid = 0xfffffffe;

export interface NftResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The nft program is not installed (or not on PATH). */
  missing: boolean;
}

/** Runs nft with `args`, writing `input` to its stdin (injectable for tests). */
export type NftRunner = (args: string[], input?: string) => Promise<NftResult>;

export function nftRunner(command = 'nft'): NftRunner {
  return (args, input) =>
    new Promise((resolve) => {
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: nftCommandTimeoutMs });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (result: NftResult): void => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const keep = (text: string, more: Buffer): string => (text.length < maxNftOutputBytes ? text + more.toString('utf8').slice(0, maxNftOutputBytes - text.length) : text);
      child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
      child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
      child.stdin.on('error', () => undefined);
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') finish({ code: -1, stdout: '', stderr: '', missing: true });
        else stderr += error.message;
      });
      child.on('close', (code, signal) => finish({ code: code ?? -1, stdout, stderr: signal ? `${stderr}nft was stopped (${signal})` : stderr, missing: false }));
      child.stdin.end(input ?? '');
    });
}

function invalid(message: string): never {
  throw new SystemControlError('firewall-plan-invalid', message);
}

/**
 * Where redirected queries go, one address per IP family: the filter's own listener, a loopback
 * one first; "every address" (0.0.0.0, ::) means loopback. A family without one gets none, and its
 * DNS to other machines is refused instead (it must not go round the filter).
 */
export function redirectTargets(filter: readonly ResolverAddress[]): { ipv4: ResolverAddress | null; ipv6: ResolverAddress | null } {
  const pick = (family: 4 | 6): ResolverAddress | null => {
    const candidates: ResolverAddress[] = [];
    for (const { host, port } of filter) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(`the filter's port ${String(port)} is not 1-65535`);
      // A scoped (link-local) address cannot be a NAT target; the filter never listens on one alone.
      if (net.isIP(host) !== family || host.includes('%')) continue;
      if (host === '0.0.0.0') candidates.push({ host: '127.0.0.1', port });
      else if (family === 6 && new net.SocketAddress({ address: host, family: 'ipv6' }).address === '::') candidates.push({ host: '::1', port });
      else candidates.push({ host, port });
    }
    const loopback = candidates.find((c) => (family === 4 ? c.host.startsWith('127.') : c.host === '::1'));
    return loopback ?? candidates[0] ?? null;
  };
  return { ipv4: pick(4), ipv6: pick(6) };
}

/**
 * The nft script that puts the DNS firewall in force: one transaction that creates the table if
 * missing, deletes it (whatever an earlier run put in it) and writes it anew. Every value in it is
 * checked first: a bad address, port or user id is a `firewall-plan-invalid` error, never text in
 * the script.
 */
export function dnsFirewallScript(plan: DnsFirewallPlan): string {
  const { ipv4, ipv6 } = redirectTargets(plan.filter);
  if (!ipv4 && !ipv6) invalid('the filter listens on no IP address the firewall can send DNS to');
  if (plan.exemptUids.length === 0) invalid("no user is exempt: the filter's own upstream queries would come back to it");
  for (const uid of plan.exemptUids) if (!Number.isInteger(uid) || uid < 0 || uid > maxUid) invalid(`user id ${String(uid)} is not valid`);
  const resolvers4: string[] = [];
  const resolvers6: string[] = [];
  for (const entry of plan.encryptedDnsResolvers) {
    const checked = checkAddressOrPrefix(entry.trim().toLowerCase());
    if ('reason' in checked) invalid(`encrypted-DNS resolver: ${checked.reason}`);
    (checked.family === 4 ? resolvers4 : resolvers6).push(entry.trim().toLowerCase());
  }

  const uids = [...new Set(plan.exemptUids)];
  const exempt = `meta skuid ${uids.length === 1 ? uids[0] : `{ ${uids.join(', ')} }`} return`;
  const dns = `meta l4proto { tcp, udp } th dport ${plainDnsPort}`;
  const table = `${firewallFamily} ${firewallTableName}`;
  const lines = [
    '# Written by the SafeLab agent: DNS on this PC goes through the school\'s web filter.',
    `add table ${table}`,
    `delete table ${table}`,
    `table ${table} {`,
    '  comment "SafeLab agent: every DNS query goes through the school web filter; removed when the agent stops"',
  ];
  if (resolvers4.length > 0) lines.push(`  set encrypted_dns_ipv4 { type ipv4_addr; flags interval; auto-merge; elements = { ${resolvers4.join(', ')} } }`);
  if (resolvers6.length > 0) lines.push(`  set encrypted_dns_ipv6 { type ipv6_addr; flags interval; auto-merge; elements = { ${resolvers6.join(', ')} } }`);
  lines.push(
    '  chain dns_to_filter {',
    `    type nat hook output priority ${natOutputPriority}; policy accept;`,
    `    ${exempt}`,
    // The filter itself, resolved's stub, anything on this PC: asked as addressed.
    '    oifname "lo" return',
  );
  if (ipv4) lines.push(`    meta nfproto ipv4 ${dns} dnat ip to ${ipv4.host}:${ipv4.port}`);
  if (ipv6) lines.push(`    meta nfproto ipv6 ${dns} dnat ip6 to [${ipv6.host}]:${ipv6.port}`);
  lines.push(
    '  }',
    '  chain encrypted_dns_refused {',
    `    type filter hook output priority ${filterOutputPriority}; policy accept;`,
    `    ${exempt}`,
    '    oifname "lo" return',
    `    meta l4proto { tcp, udp } th dport ${encryptedDnsPort} jump refuse`,
  );
  if (!ipv4) lines.push(`    meta nfproto ipv4 ${dns} jump refuse`);
  if (!ipv6) lines.push(`    meta nfproto ipv6 ${dns} jump refuse`);
  if (resolvers4.length > 0) lines.push('    ip daddr @encrypted_dns_ipv4 meta l4proto { tcp, udp } jump refuse');
  if (resolvers6.length > 0) lines.push('    ip6 daddr @encrypted_dns_ipv6 meta l4proto { tcp, udp } jump refuse');
  lines.push(
    '  }',
    // Refused, not dropped: browsers and apps fall back to the system resolver at once instead of
    // waiting for a timeout.
    '  chain refuse {',
    '    meta l4proto tcp reject with tcp reset',
    '    reject with icmpx admin-prohibited',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}

/** Removes the table whether or not it exists, in one transaction. */
export const removeFirewallScript = `add table ${firewallFamily} ${firewallTableName}\ndelete table ${firewallFamily} ${firewallTableName}\n`;

/** nft's complaint, short enough for a log line and the console. */
function nftError(result: NftResult): string {
  const text = (result.stderr || result.stdout).trim().split('\n').slice(0, 3).join(' | ');
  return text.slice(0, 300) || `nft exited with code ${result.code}`;
}

export interface LinuxFirewallOptions {
  /** Runs nft (injectable for tests); default: `nft` on PATH. */
  nft?: NftRunner;
}

export class LinuxFirewall {
  private readonly nft: NftRunner;

  constructor(options: LinuxFirewallOptions = {}) {
    this.nft = options.nft ?? nftRunner();
  }

  async apply(plan: DnsFirewallPlan): Promise<void> {
    const script = dnsFirewallScript(plan);
    const result = await this.nft(['-f', '-'], script);
    this.check(result, 'put the DNS firewall in force');
  }

  /** Whether SafeLab's table is in the ruleset now. */
  async present(): Promise<boolean> {
    const result = await this.nft(['list', 'table', firewallFamily, firewallTableName]);
    if (result.code === 0 && !result.missing) return true;
    if (/No such file or directory/i.test(result.stderr)) return false;
    this.check(result, 'read the firewall rules');
    return false;
  }

  async remove(): Promise<DnsFirewallRemoveOutcome> {
    const wasThere = await this.present();
    if (!wasThere) return 'nothing-there';
    // By the add-then-delete script, not `delete table`: it cannot fail because the table went
    // away in between.
    this.check(await this.nft(['-f', '-'], removeFirewallScript), 'remove the DNS firewall');
    return 'removed';
  }

  private check(result: NftResult, what: string): void {
    if (result.missing) throw new SystemControlError('firewall-unavailable', `cannot ${what}: nft (Debian package nftables) is not installed`);
    if (result.code !== 0) throw new SystemControlError('firewall-refused', `cannot ${what}: ${nftError(result)}`);
  }
}
