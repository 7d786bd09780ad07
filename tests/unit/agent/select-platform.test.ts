// Choosing the desktop: the flag wins; without it, every candidate's failure is explained and
// the simulated platform is suggested.
import { describe, expect, it } from 'vitest';
import { DesktopUnavailableError, openDesktop } from '../../../src/agent/platform/select.js';

const base = { hostname: 'lab1-pc03', language: 'en' as const, log: () => {} };

describe('desktop platform selection', () => {
  it('opens the simulated desktop when asked, whatever the OS', async () => {
    const desktop = await openDesktop('simulated', { ...base, osPlatform: 'win32' });
    expect(desktop.platform).toBe('simulated');
    expect(desktop.sessionInfo().user).toBe('hs03');
    await desktop.close();
  });

  it('explains why no desktop could be opened and suggests --platform simulated', async () => {
    const attempt = openDesktop(undefined, { ...base, osPlatform: 'linux', env: {} });
    await expect(attempt).rejects.toBeInstanceOf(DesktopUnavailableError);
    const error = (await attempt.catch((e: unknown) => e)) as DesktopUnavailableError;
    expect(error.reasons).toEqual(['linux: DISPLAY is not set', 'win32: not Windows']);
    expect(error.message).toContain('--platform simulated');
  });

  it('reports the chosen platform’s own reason when it was asked for explicitly', async () => {
    await expect(openDesktop('win32', base)).rejects.toThrow(/win32: the Windows session helper is not part of this build/);
  });
});
