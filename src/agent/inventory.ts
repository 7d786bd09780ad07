// Machine inventory for IT staff (CPU, memory, disks, OS, network adapters with their MAC for
// wake-on-LAN), gathered with systeminformation in the background, never inside message handling.
// The agent gathers it in a short-lived worker thread (inventory-worker.ts): systeminformation's
// code and garbage go away with the worker instead of staying in every idle agent.

import { arch as osArch, cpus, platform as osPlatform, release as osRelease, totalmem } from 'node:os';
import type { Inventory } from '../shared/protocol/messages.js';

/** Longest one inventory part may take; a stuck WMI query must not hold the others forever. */
export const inventoryPartTimeoutMs = 30_000;
/** A worker that has not answered by then is stopped (parts run in parallel, each bounded above). */
export const inventoryWorkerTimeoutMs = inventoryPartTimeoutMs + 10_000;
/** Heap limits of the inventory worker: its answer is a few kilobytes. */
export const inventoryWorkerOldSpaceMB = 64;
export const inventoryWorkerYoungSpaceMB = 4;

const maxListLength = 32;
const short = (text: unknown): string => String(text ?? '').slice(0, 256);

/** How the core obtains an inventory (systeminformation in production, a fake in unit tests). */
export type InventorySource = () => Promise<Inventory>;

function withTimeout<T>(promise: Promise<T>, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), inventoryPartTimeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/**
 * Gathers the inventory. Each part falls back to what Node itself knows (or to empty) when
 * systeminformation fails, so one broken probe never hides the rest.
 */
export async function gatherInventory(): Promise<Inventory> {
  const si = await import('systeminformation');
  const [cpu, mem, disks, os, adapters] = await Promise.all([
    withTimeout(si.cpu(), null),
    withTimeout(si.mem(), null),
    withTimeout(si.fsSize(), []),
    withTimeout(si.osInfo(), null),
    withTimeout(si.networkInterfaces(), []),
  ]);
  const nodeCpus = cpus();
  return {
    cpu: cpu
      ? { model: short(`${cpu.manufacturer} ${cpu.brand}`.trim()), cores: Math.max(0, cpu.cores | 0), speedGHz: Math.max(0, Number(cpu.speed) || 0) }
      : { model: short(nodeCpus[0]?.model ?? 'unknown'), cores: nodeCpus.length, speedGHz: (nodeCpus[0]?.speed ?? 0) / 1000 },
    memoryBytes: mem ? Math.max(0, mem.total) : totalmem(),
    disks: disks
      .filter((d) => d.size > 0)
      .slice(0, maxListLength)
      .map((d) => ({ mount: short(d.mount), sizeBytes: Math.max(0, d.size), usedBytes: Math.max(0, d.used || 0) })),
    os: os
      ? { platform: short(os.platform), distro: short(os.distro), release: short(os.release), build: short(os.build), arch: short(os.arch) }
      : { platform: osPlatform(), distro: '', release: osRelease(), build: '', arch: osArch() },
    networkAdapters: (Array.isArray(adapters) ? adapters : [adapters])
      .filter((a) => !a.internal)
      .slice(0, maxListLength)
      .map((a) => ({
        name: short(a.ifaceName || a.iface),
        mac: short(a.mac),
        ipv4: a.ip4 ? [short(a.ip4)] : [],
        ipv6: a.ip6 ? [short(a.ip6)] : [],
        virtual: Boolean(a.virtual),
      })),
    gatheredAt: Date.now(),
  };
}

/**
 * Gathers the inventory in a worker thread that ends right after answering. The answer is
 * validated by the caller like any other inventory source.
 */
export async function gatherInventoryInWorker(): Promise<Inventory> {
  const { Worker } = await import('node:worker_threads');
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./inventory-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: inventoryWorkerOldSpaceMB, maxYoungGenerationSizeMb: inventoryWorkerYoungSpaceMB },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (error: Error | null, inventory?: Inventory): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (error) reject(error);
      else resolve(inventory!);
    };
    const timer = setTimeout(() => finish(new Error(`inventory took longer than ${inventoryWorkerTimeoutMs} ms`)), inventoryWorkerTimeoutMs);
    worker.once('message', (inventory: Inventory) => finish(null, inventory));
    worker.once('error', (error) => finish(error));
    worker.once('exit', (code) => finish(new Error(`inventory worker exited (${code}) without an answer`)));
  });
}
