// Sizes and countdowns written for people, in Vietnamese and English.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCountdown } from '../../../src/renderer/format/format.js';
import { agentEnrolCommands, enrolmentFileName, enrolmentFileText } from '../../../src/renderer/screens/enrolment/enrolment-file.js';
import type { Enrolment } from '../../../src/shared/api/contract.js';

describe('formatting', () => {
  it('writes sizes in binary units with the language decimal mark', () => {
    expect(formatBytes('en', 512)).toBe('512 B');
    expect(formatBytes('en', 8 * 1024 ** 3)).toBe('8 GB');
    expect(formatBytes('en', 1.5 * 1024 ** 3)).toBe('1.5 GB');
    expect(formatBytes('vi', 1.5 * 1024 ** 3)).toBe('1,5 GB');
    expect(formatBytes('en', 250 * 1024 ** 3)).toBe('250 GB');
  });

  it('counts down in minutes and seconds, hours when needed, never below zero', () => {
    expect(formatCountdown(30 * 60_000)).toBe('30:00');
    expect(formatCountdown(65_500)).toBe('01:06');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(-5)).toBe('00:00');
  });
});

describe('enrolment file and command line', () => {
  const enrolment: Enrolment = {
    id: 'e1',
    code: 'K7Q2-M9XD-4HTB',
    labId: 'l1',
    createdAt: 0,
    expiresAt: 1_800_000,
    consoleUrls: ['wss://192.168.1.10:47100/agent', 'wss://lab-pc:47100/agent'],
    file: {
      format: 'safelab-enrolment',
      version: 1,
      consoleUrl: 'wss://192.168.1.10:47100/agent',
      consoleFingerprint: Array.from({ length: 32 }, () => 'AB').join(':'),
      code: 'K7Q2-M9XD-4HTB',
      labId: 'l1',
      expiresAt: 1_800_000,
    },
  };

  it('writes the file exactly as the agent reads it', () => {
    expect(JSON.parse(enrolmentFileText(enrolment))).toEqual(enrolment.file);
    expect(enrolmentFileName).toBe('safelab-enrolment.json');
  });

  it('gives the agent command lines, as run in the SafeLab folder, with the best console address', () => {
    const c = agentEnrolCommands(enrolment);
    expect(c.withFile).toBe('node dist/agent/cli.js enrol --enrolment-file safelab-enrolment.json');
    expect(c.withCode).toBe('node dist/agent/cli.js enrol --console wss://192.168.1.10:47100/agent --code K7Q2-M9XD-4HTB');
    expect(c.run).toBe('node dist/agent/cli.js run');
  });
});
