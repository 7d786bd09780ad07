// Addresses an agent on another PC can use to reach this console's agent hub, best first: the
// LAN IPv4 addresses, then the host name, then loopback (an agent on this very PC, the demo lab).

import { hostname, networkInterfaces } from 'node:os';
import { agentPath } from './agent-hub/hub.js';

function isWildcard(host: string | undefined): boolean {
  return !host || host === '0.0.0.0' || host === '::' || host === '[::]';
}

function urlFor(host: string, port: number): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `wss://${bracketed}:${port}${agentPath}`;
}

export function consoleUrls(agentPort: number, agentHost?: string): string[] {
  if (!isWildcard(agentHost)) return [urlFor(agentHost!, agentPort)];
  const urls: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('169.254.')) {
        urls.push(urlFor(address.address, agentPort));
      }
    }
  }
  const host = hostname();
  if (host && /^[A-Za-z0-9.-]+$/.test(host)) urls.push(urlFor(host, agentPort));
  urls.push(urlFor('127.0.0.1', agentPort));
  return [...new Set(urls)];
}
