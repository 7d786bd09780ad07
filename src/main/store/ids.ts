// Short random ids for store rows, prefixed by kind so a log line says what an id names.

import { randomBytes } from 'node:crypto';

export function newId(prefix: 'lab' | 'lesson' | 'enr' | 'profile'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}
