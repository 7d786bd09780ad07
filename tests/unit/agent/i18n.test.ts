// The agent's and the student's strings exist in Vietnamese and English with the same keys.
import { describe, expect, it } from 'vitest';
import { agentCatalogue } from '../../../src/shared/i18n/agent.js';
import { translate } from '../../../src/shared/i18n/index.js';
import { studentCatalogue } from '../../../src/shared/i18n/student.js';

describe('agent and student strings', () => {
  it.each([
    ['agent', agentCatalogue],
    ['student', studentCatalogue],
  ])('%s strings have the same keys in both languages, all in their area', (area, catalogue) => {
    expect(Object.keys(catalogue.en).sort()).toEqual(Object.keys(catalogue.vi).sort());
    for (const key of Object.keys(catalogue.vi)) expect(key.startsWith(`${area}.`)).toBe(true);
    for (const key of Object.keys(catalogue.vi)) {
      const slots = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(slots(catalogue.en[key]!), key).toEqual(slots(catalogue.vi[key]!));
    }
  });

  it('are reachable through translate', () => {
    expect(translate('vi', 'student.lock.title')).toBe('Màn hình đã được khóa');
    expect(translate('en', 'agent.enrol.timeout', { url: 'wss://x', seconds: 20 })).toContain('20 seconds');
  });
});
