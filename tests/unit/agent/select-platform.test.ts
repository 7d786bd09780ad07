// Choosing the desktop: the flag wins; without it, every candidate's failure is explained and
// the simulated platform is suggested. Opened as the agent does it (run.ts): chooseDesktop, then
// openChosenDesktop for a platform that can exist here.
import { describe, expect, it } from 'vitest';
import { PendingDesktop } from '../../../src/agent/platform/pending-desktop.js';
import { chooseDesktop, DesktopUnavailableError, openChosenDesktop, type OpenDesktopOptions } from '../../../src/agent/platform/select.js';
import type { DesktopPlatform, SessionDesktop } from '../../../src/agent/platform/session-desktop.js';
import { translate } from '../../../src/shared/i18n/index.js';

const base = { hostname: 'lab1-pc03', language: 'en' as const, log: () => {} };

/** What run.ts does: a refused choice is a DesktopUnavailableError, anything else is opened. */
async function openAs(platform: DesktopPlatform | undefined, options: OpenDesktopOptions): Promise<SessionDesktop> {
  const choice = chooseDesktop(platform, { language: options.language, ...(options.osPlatform ? { osPlatform: options.osPlatform } : {}) });
  if ('refused' in choice) throw new DesktopUnavailableError(choice.refused, options.language);
  return openChosenDesktop(choice, options, () => {});
}

/** Why a Linux desktop that could not open is still being waited for (and stops the waiting). */
async function pendingReason(desktop: SessionDesktop): Promise<string | undefined> {
  expect(desktop).toBeInstanceOf(PendingDesktop);
  const detail = desktop.problem?.()?.detail;
  await desktop.close();
  return detail;
}

describe('desktop platform selection', () => {
  it('opens the simulated desktop when asked, whatever the OS', async () => {
    const desktop = await openAs('simulated', { ...base, osPlatform: 'win32' });
    expect(desktop.platform).toBe('simulated');
    expect(desktop.sessionInfo().user).toBe('hs03');
    await desktop.close();
  });

  it('explains why no desktop could be opened and suggests --platform simulated', async () => {
    // No DISPLAY (a service) and no X session on the PC: kept trying, with the reason.
    const reason = await pendingReason(await openAs(undefined, { ...base, osPlatform: 'linux', env: {}, findDisplay: async () => null }));
    expect(reason).toBe(translate('en', 'agent.platform.noDisplayFound'));
    expect(reason).toContain('--display :0');
    // Neither Linux nor Windows: every candidate's reason, and the way out.
    const attempt = openAs(undefined, { ...base, osPlatform: 'freebsd' });
    await expect(attempt).rejects.toBeInstanceOf(DesktopUnavailableError);
    const error = (await attempt.catch((e: unknown) => e)) as DesktopUnavailableError;
    expect(error.reasons).toEqual(['linux: not Linux', 'win32: not Windows']);
    expect(error.message).toContain('--platform simulated');
  });

  it('says so in Vietnamese too', async () => {
    const reason = await pendingReason(await openAs(undefined, { ...base, language: 'vi', osPlatform: 'linux', env: {}, findDisplay: async () => null }));
    expect(reason).toBe(translate('vi', 'agent.platform.noDisplayFound'));
    const error = (await openAs(undefined, { ...base, language: 'vi', osPlatform: 'freebsd' }).catch((e: unknown) => e)) as DesktopUnavailableError;
    expect(error.reasons[0]).toBe(`linux: ${translate('vi', 'agent.platform.notLinux')}`);
    expect(error.message).toContain('--platform simulated');
  });

  it('uses the X session it finds when there is no DISPLAY, and says which', async () => {
    const log: string[] = [];
    const desktop = await openAs('linux', {
      ...base,
      osPlatform: 'linux',
      log: (line) => log.push(line),
      env: {},
      findDisplay: async () => ({ display: ':4097', xauthority: null, how: 'the only X server' }),
    });
    // Nothing listens on :4097 here: the reason names the display that was found.
    expect(await pendingReason(desktop)).toMatch(/cannot use X display :4097/);
    expect(log).toEqual(['desktop.display-found display=:4097 xauthority=- how="the only X server"']);
  });

  it('prefers --display and DISPLAY over looking for a session', async () => {
    let looked = false;
    const findDisplay = async () => {
      looked = true;
      return null;
    };
    expect(await pendingReason(await openAs('linux', { ...base, osPlatform: 'linux', display: ':4098', env: {}, findDisplay }))).toMatch(/cannot use X display :4098/);
    expect(await pendingReason(await openAs('linux', { ...base, osPlatform: 'linux', env: { DISPLAY: ':4099' }, findDisplay }))).toMatch(/cannot use X display :4099/);
    expect(looked).toBe(false);
  });

  it('reports the chosen platform’s own reason when it was asked for explicitly', async () => {
    await expect(openAs('win32', { ...base, osPlatform: 'win32' })).rejects.toThrow(/win32: the Windows session helper is not part of this build/);
  });

  it('fails at once, naming the platform, when the choice says not to keep trying', async () => {
    // (The simulated desktop's choice: a failure to open it is a bug, never something to wait for.)
    const failing = openChosenDesktop({ platform: 'linux', keepTrying: false }, { ...base, display: ':4096', env: {} }, () => {});
    await expect(failing).rejects.toBeInstanceOf(DesktopUnavailableError);
    await expect(failing).rejects.toThrow(/linux: .*cannot use X display :4096/);
  });
});
