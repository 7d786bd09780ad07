// Process figures for the Linux desktop benchmark: CPU ticks and RSS of a process tree from /proc.

import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ on Linux: /proc CPU times are in these ticks. */
export const clockTicksPerSecond = 100;
const pageBytes = 4096;

/** utime+stime (ticks), RSS (bytes) and parent pid of one process, or null when it is gone. */
export function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      rssBytes: Number(fields[21]) * pageBytes,
    };
  } catch {
    return null;
  }
}

/** Every live process whose ancestry includes one of `roots` (roots included), filtered by name. */
export function treeStats(roots, nameFilter = () => true) {
  const all = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s) all.push(s);
  }
  const byPid = new Map(all.map((s) => [s.pid, s]));
  const inTree = (s) => {
    for (let cur = s, hops = 0; cur && hops < 64; cur = byPid.get(cur.ppid), hops++) if (roots.includes(cur.pid)) return true;
    return false;
  };
  const members = all.filter((s) => inTree(s) && nameFilter(s.name));
  return {
    processes: members.map((s) => s.name),
    cpuTicks: members.reduce((t, s) => t + s.cpuTicks, 0),
    rssBytes: members.reduce((t, s) => t + s.rssBytes, 0),
  };
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, check, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
