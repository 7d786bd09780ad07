// Domain rows for renderer unit tests, shaped exactly as the console API returns them.
import type { Lab, Lesson, Machine } from '../../../src/shared/api/contract.js';

export function machine(id: string, name: string, labId: string | null, extra: Partial<Machine> = {}): Machine {
  return {
    id,
    labId,
    name,
    hostname: name,
    os: 'linux',
    user: null,
    agentVersion: '0.1.0',
    desktop: 'simulated',
    screens: [],
    enrolledAt: 0,
    lastSeenAt: null,
    online: true,
    state: { locked: false, lessonActive: false },
    remoteAddress: null,
    ...extra,
  };
}

export function lab(id: string, name: string, machineCount = 0): Lab {
  return { id, name, createdAt: 0, machineCount };
}

export function lesson(id: string, labId: string, endedAt: number | null = null): Lesson {
  return { id, labId, className: '10A1', teacher: '', startedAt: 1, endedAt, language: 'vi' };
}
