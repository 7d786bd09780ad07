// The DNS firewall's nft script (a pure function of the plan) and the shipped list of encrypted-DNS
// resolver addresses: what is redirected where, what is refused, who is left alone, and that no bad
// value ever becomes script text. The script running in a real kernel is pinned by
// tests/integration/dns/firewall.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkAddressOrPrefix,
  defaultEncryptedDnsAddressesFile,
  parseEncryptedDnsAddresses,
  readEncryptedDnsAddresses,
} from '../../../src/agent/system/encrypted-dns-addresses.js';
import { LinuxFirewall, dnsFirewallScript, nftRunner, redirectTargets, removeFirewallScript, type NftResult } from '../../../src/agent/system/linux/firewall.js';
import { loopFreeUpstreams } from '../../../src/agent/system/dns-firewall.js';
import { SystemControlError, type DnsFirewallPlan } from '../../../src/agent/system/system-control.js';

const loopbackFilter = [
  { host: '127.0.0.1', port: 53 },
  { host: '::1', port: 53 },
];

function plan(overrides: Partial<DnsFirewallPlan> = {}): DnsFirewallPlan {
  return { filter: loopbackFilter, exemptUids: [0], encryptedDnsResolvers: ['1.1.1.1', '45.90.28.0/24', '2606:4700:4700::1111', '2a07:a8c0::/32'], ...overrides };
}

function planError(p: DnsFirewallPlan): SystemControlError {
  try {
    dnsFirewallScript(p);
  } catch (error) {
    expect(error).toBeInstanceOf(SystemControlError);
    return error as SystemControlError;
  }
  throw new Error('the plan was accepted');
}

describe('the DNS firewall script', () => {
  it('replaces SafeLab’s own table in one transaction: redirect DNS to the filter, refuse DoT/DoQ and the listed resolvers', () => {
    expect(dnsFirewallScript(plan())).toBe(
      [
        "# Written by the SafeLab agent: DNS on this PC goes through the school's web filter.",
        'add table inet safelab',
        'delete table inet safelab',
        'table inet safelab {',
        '  comment "SafeLab agent: every DNS query goes through the school web filter; removed when the agent stops"',
        '  set encrypted_dns_ipv4 { type ipv4_addr; flags interval; auto-merge; elements = { 1.1.1.1, 45.90.28.0/24 } }',
        '  set encrypted_dns_ipv6 { type ipv6_addr; flags interval; auto-merge; elements = { 2606:4700:4700::1111, 2a07:a8c0::/32 } }',
        '  chain dns_to_filter {',
        '    type nat hook output priority -100; policy accept;',
        '    meta skuid 0 return',
        '    oifname "lo" return',
        '    meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 dnat ip to 127.0.0.1:53',
        '    meta nfproto ipv6 meta l4proto { tcp, udp } th dport 53 dnat ip6 to [::1]:53',
        '  }',
        '  chain encrypted_dns_refused {',
        '    type filter hook output priority 0; policy accept;',
        '    meta skuid 0 return',
        '    oifname "lo" return',
        '    meta l4proto { tcp, udp } th dport 853 jump refuse',
        '    ip daddr @encrypted_dns_ipv4 meta l4proto { tcp, udp } jump refuse',
        '    ip6 daddr @encrypted_dns_ipv6 meta l4proto { tcp, udp } jump refuse',
        '  }',
        '  chain refuse {',
        '    meta l4proto tcp reject with tcp reset',
        '    reject with icmpx admin-prohibited',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('redirects to the filter’s own port (a test filter on a high port) and leaves every exempt user alone', () => {
    const script = dnsFirewallScript(plan({ filter: [{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 5354 }], exemptUids: [0, 991, 0] }));
    expect(script).toContain('dnat ip to 127.0.0.1:5353');
    expect(script).toContain('dnat ip6 to [::1]:5354');
    expect(script.match(/meta skuid \{ 0, 991 \} return/g)).toHaveLength(2);
  });

  it('refuses the DNS of a family the filter does not listen on, rather than let it go round the filter', () => {
    const onlyIpv4 = dnsFirewallScript(plan({ filter: [{ host: '127.0.0.1', port: 53 }] }));
    expect(onlyIpv4).not.toContain('dnat ip6');
    expect(onlyIpv4).toContain('    meta nfproto ipv6 meta l4proto { tcp, udp } th dport 53 jump refuse');
    expect(onlyIpv4).not.toContain('meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 jump refuse');
    const onlyIpv6 = dnsFirewallScript(plan({ filter: [{ host: '::1', port: 53 }] }));
    expect(onlyIpv6).not.toContain('dnat ip to');
    expect(onlyIpv6).toContain('    meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 jump refuse');
  });

  it('sends DNS to loopback when the filter listens on every address, and prefers a loopback listener', () => {
    expect(redirectTargets([{ host: '0.0.0.0', port: 53 }, { host: '::', port: 53 }])).toEqual({ ipv4: { host: '127.0.0.1', port: 53 }, ipv6: { host: '::1', port: 53 } });
    expect(redirectTargets([{ host: '192.168.1.20', port: 53 }, { host: '127.0.0.3', port: 53 }])).toEqual({ ipv4: { host: '127.0.0.3', port: 53 }, ipv6: null });
    expect(redirectTargets([{ host: '0:0:0:0:0:0:0:1', port: 53 }]).ipv6).toEqual({ host: '0:0:0:0:0:0:0:1', port: 53 });
  });

  it('leaves out a resolver set with no addresses of its family', () => {
    const script = dnsFirewallScript(plan({ encryptedDnsResolvers: ['8.8.8.8'] }));
    expect(script).toContain('@encrypted_dns_ipv4');
    expect(script).not.toContain('encrypted_dns_ipv6');
    const none = dnsFirewallScript(plan({ encryptedDnsResolvers: [] }));
    expect(none).not.toContain('set encrypted_dns');
    // DoT and DoQ are refused to every address all the same.
    expect(none).toContain('th dport 853 jump refuse');
  });

  it('never turns a bad value into script text', () => {
    expect(planError(plan({ encryptedDnsResolvers: ['1.1.1.1 } ; flush ruleset ; table inet x {'] })).code).toBe('firewall-plan-invalid');
    expect(planError(plan({ encryptedDnsResolvers: ['45.90.28.7/24'] })).message).toMatch(/host bits set/);
    expect(planError(plan({ encryptedDnsResolvers: ['2a07:a8c0::/129'] })).message).toMatch(/not a prefix length/);
    expect(planError(plan({ exemptUids: [] })).message).toMatch(/would come back to it/);
    expect(planError(plan({ exemptUids: [-1] })).message).toMatch(/user id -1/);
    expect(planError(plan({ exemptUids: [1.5] })).message).toMatch(/user id 1.5/);
    expect(planError(plan({ filter: [{ host: '127.0.0.1', port: 0 }] })).message).toMatch(/port 0/);
    expect(planError(plan({ filter: [{ host: 'localhost', port: 53 }] })).message).toMatch(/no IP address/);
    expect(planError(plan({ filter: [] })).message).toMatch(/no IP address/);
  });

  it('removes the table whether or not it is there, in one transaction', () => {
    expect(removeFirewallScript).toBe('add table inet safelab\ndelete table inet safelab\n');
  });
});

describe('the list of encrypted-DNS resolver addresses', () => {
  it('reads addresses and prefixes of both families, skips comments and repeats, and numbers every bad line', () => {
    const parsed = parseEncryptedDnsAddresses(
      ['# Cloudflare', '1.1.1.1', '1.1.1.1   # again', '', '2606:4700:4700::1111', '2A07:A8C0::/32', '45.90.28.0/24', 'dns.google', '10.0.0.1/33', '45.90.28.9/24', '1.2.3.4/8/9', '::ffff:1.2.3.0/120'].join('\n'),
    );
    expect(parsed.ipv4).toEqual(['1.1.1.1', '45.90.28.0/24']);
    expect(parsed.ipv6).toEqual(['2606:4700:4700::1111', '2a07:a8c0::/32', '::ffff:1.2.3.0/120']);
    expect(parsed.badLines).toEqual([
      { line: 8, reason: '"dns.google" is not an IP address' },
      { line: 9, reason: '"/33" is not a prefix length (0-32)' },
      { line: 10, reason: '45.90.28.9/24 has host bits set (write the network address)' },
      { line: 11, reason: '"1.2.3.4/8/9" is not an IP address' },
    ]);
  });

  it('checks host bits across IPv6 groups, "::" and all', () => {
    expect(checkAddressOrPrefix('2a07:a8c0::/32')).toEqual({ family: 6 });
    expect(checkAddressOrPrefix('2a07:a8c0::1/32')).toHaveProperty('reason');
    expect(checkAddressOrPrefix('2620:fe::fe:10/112')).toHaveProperty('reason');
    expect(checkAddressOrPrefix('2620:fe::fe:0/112')).toEqual({ family: 6 });
    expect(checkAddressOrPrefix('0.0.0.0/0')).toEqual({ family: 4 });
    expect(checkAddressOrPrefix('1.1.1.1/32')).toEqual({ family: 4 });
  });

  it('the shipped list has no bad line and names the big public resolvers of both families', async () => {
    const shipped = await readEncryptedDnsAddresses();
    expect(shipped.badLines).toEqual([]);
    for (const address of ['1.1.1.1', '8.8.8.8', '9.9.9.9', '208.67.222.222', '94.140.14.14', '45.90.28.0/24', '185.228.168.9', '194.242.2.2']) expect(shipped.ipv4).toContain(address);
    for (const address of ['2606:4700:4700::1111', '2001:4860:4860::8888', '2620:fe::fe', '2a07:a8c0::/32']) expect(shipped.ipv6).toContain(address);
    // It says where it comes from and that nobody checked it live.
    expect(readFileSync(defaultEncryptedDnsAddressesFile, 'utf8')).toMatch(/Best knowledge, not checked live/);
    // And it makes a valid plan.
    expect(() => dnsFirewallScript(plan({ encryptedDnsResolvers: [...shipped.ipv4, ...shipped.ipv6] }))).not.toThrow();
  });
});

describe('the Linux firewall and nft', () => {
  it('says nftables is not installed when there is no nft to run', async () => {
    const firewall = new LinuxFirewall({ nft: nftRunner('/nonexistent/safelab-test/nft') });
    const error = await firewall.apply(plan()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemControlError);
    expect(error).toMatchObject({ code: 'firewall-unavailable', message: expect.stringMatching(/nftables/) });
    await expect(firewall.remove()).rejects.toMatchObject({ code: 'firewall-unavailable' });
  });

  it('passes on what nft said when the kernel refuses, and finds nothing to remove where there is no table', async () => {
    const calls: { args: string[]; input: string | undefined }[] = [];
    const answers: NftResult[] = [
      { code: 1, stdout: '', stderr: 'Error: Could not process rule: Operation not permitted\nadd table inet safelab\n^^^\n', missing: false },
      { code: 1, stdout: '', stderr: 'Error: No such file or directory\nlist table inet safelab\n', missing: false },
    ];
    const firewall = new LinuxFirewall({
      nft: async (args, input) => {
        calls.push({ args, input });
        return answers.shift()!;
      },
    });
    await expect(firewall.apply(plan())).rejects.toMatchObject({ code: 'firewall-refused', message: expect.stringMatching(/Operation not permitted/) });
    expect(calls[0]).toEqual({ args: ['-f', '-'], input: dnsFirewallScript(plan()) });
    expect(await firewall.remove()).toBe('nothing-there');
    expect(calls[1]!.args).toEqual(['list', 'table', 'inet', 'safelab']);
  });
});

describe('upstreams the filter may take while the firewall is in force', () => {
  const nm = { host: '127.0.1.1', port: 53 };
  const stub = { host: '127.0.0.53', port: 53 };
  const router = { host: '192.168.1.1', port: 53 };
  const isp = { host: '203.0.113.53', port: 53 };

  it('takes the new servers when none of them is a resolver on this PC', () => {
    expect(loopFreeUpstreams(loopbackFilter, [router, { host: '2001:db8::53', port: 53 }], [isp])).toEqual({ servers: [router, { host: '2001:db8::53', port: 53 }], leftOut: [], keptCurrent: false });
    // The filter's own address is no other resolver.
    expect(loopFreeUpstreams(loopbackFilter, [{ host: '127.0.0.1', port: 53 }, router], [])?.leftOut).toEqual([]);
  });

  it('leaves out a resolver on this PC (NetworkManager’s dnsmasq, resolved’s stub) and keeps the rest', () => {
    expect(loopFreeUpstreams(loopbackFilter, [nm, router], [isp])).toEqual({ servers: [router], leftOut: [nm], keptCurrent: false });
  });

  it('keeps the servers in use when the new setting names only resolvers on this PC', () => {
    expect(loopFreeUpstreams(loopbackFilter, [nm], [router, isp])).toEqual({ servers: [router, isp], leftOut: [nm], keptCurrent: true });
    expect(loopFreeUpstreams(loopbackFilter, [stub, { host: '::1', port: 5353 }], [router])?.servers).toEqual([router]);
  });

  it('has nothing to offer when neither the new nor the current servers could be asked without a loop', () => {
    expect(loopFreeUpstreams(loopbackFilter, [nm], [])).toBeNull();
    expect(loopFreeUpstreams(loopbackFilter, [nm], [stub])).toBeNull();
  });
});
