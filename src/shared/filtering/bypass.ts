// Names the DNS filter answers itself to switch off built-in ways round it.
//
// - use-application-dns.net: Firefox's canary; NXDOMAIN tells Firefox not to enable DNS over HTTPS
//   by default (support.mozilla.org, "Configuring Networks to Disable DNS over HTTPS").
// - mask.icloud.com, mask-h2.icloud.com: iCloud Private Relay; NXDOMAIN makes Apple devices fall
//   back to the network's DNS (Apple, "Prepare your network for iCloud Private Relay").
// - _dns.resolver.arpa: Discovery of Designated Resolvers (RFC 9462); answering with no records
//   means no encrypted resolver is advertised for clients to upgrade to.
// Encrypted-DNS providers themselves are blocked by list (UT1 `doh` + our `doh-providers`).

export type BypassAnswer = 'nxdomain' | 'no-answer';

const bypassNames: ReadonlyMap<string, BypassAnswer> = new Map<string, BypassAnswer>([
  ['use-application-dns.net', 'nxdomain'],
  ['mask.icloud.com', 'nxdomain'],
  ['mask-h2.icloud.com', 'nxdomain'],
  ['_dns.resolver.arpa', 'no-answer'],
]);

/** How the filter must answer `name` (any case, trailing dot or not), or null for an ordinary name. */
export function bypassAnswer(name: string): BypassAnswer | null {
  let host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host.length > 32) return null; // none of them is longer; skip the lower-casing work
  host = host.toLowerCase();
  return bypassNames.get(host) ?? null;
}

export const bypassNameList: readonly string[] = [...bypassNames.keys()];
