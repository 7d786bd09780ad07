// Choosing the desktop: the flag wins; without it, every candidate's failure is explained and
// the simulated platform is suggested.
import { describe, expect, it } from 'vitest';
import { DesktopUnavailableError, openDesktop } from '../../../src/agent/platform/select.js';
import { translate } from '../../../src/shared/i18n/index.js';

const base = { hostname: 'lab1-pc03', language: 'en' as const, log: () => {} };

describe('desktop platform selection', () => {
  it('opens the simulated desktop when asked, whatever the OS', async () => {
    const desktop = await openDesktop('simulated', { ...base, osPlatform: 'win32' });
    expect(desktop.platform).toBe('simulated');
    expect(desktop.sessionInfo().user).toBe('hs03');
    await desktop.close();
  });

  it('explains why no desktop could be opened and suggests --platform simulated', async () => {
    // No DISPLAY (a service) and no X session on the PC.
    const attempt = openDesktop(undefined, { ...base, osPlatform: 'linux', env: {}, findDisplay: async () => null });
    await expect(attempt).rejects.toBeInstanceOf(DesktopUnavailableError);
    const error = (await attempt.catch((e: unknown) => e)) as DesktopUnavailableError;
    expect(error.reasons).toEqual([`linux: ${translate('en', 'agent.platform.noDisplayFound')}`, 'win32: not Windows']);
    expect(error.reasons[0]).toContain('--display :0');
    expect(error.message).toContain('--platform simulated');
  });

  it('says so in Vietnamese too', async () => {
    const error = (await openDesktop(undefined, { ...base, language: 'vi', osPlatform: 'linux', env: {}, findDisplay: async () => null }).catch((e: unknown) => e)) as DesktopUnavailableError;
    expect(error.reasons[0]).toBe(`linux: ${translate('vi', 'agent.platform.noDisplayFound')}`);
    expect(error.message).toContain('--platform simulated');
  });

  it('uses the X session it finds when there is no DISPLAY, and says which', async () => {
    const log: string[] = [];
    const attempt = openDesktop('linux', {
      ...base,
      log: (line) => log.push(line),
      env: {},
      findDisplay: async () => ({ display: ':4097', xauthority: null, how: 'the only X server' }),
    });
    // Nothing listens on :4097 here: the error names the display that was found.
    await expect(attempt).rejects.toThrow(/cannot use X display :4097/);
    expect(log).toEqual(['desktop.display-found display=:4097 xauthority=- how="the only X server"']);
  });

  it('prefers --display and DISPLAY over looking for a session', async () => {
    let looked = false;
    const findDisplay = async () => {
      looked = true;
      return null;
    };
    await expect(openDesktop('linux', { ...base, display: ':4098', env: {}, findDisplay })).rejects.toThrow(/cannot use X display :4098/);
    await expect(openDesktop('linux', { ...base, env: { DISPLAY: ':4099' }, findDisplay })).rejects.toThrow(/cannot use X display :4099/);
    expect(looked).toBe(false);
  });

  it('reports the chosen platform’s own reason when it was asked for explicitly', async () => {
    await expect(openDesktop('win32', base)).rejects.toThrow(/win32: the Windows session helper is not part of this build/);
  });
});
