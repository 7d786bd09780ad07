// Who changed a profile, as the audit log records it while SafeLab has no user logins: the channel
// and the OS account (Vietnamese names included), or "unverified" when the kernel could not say.
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { actorOf, actorOfPeer, channelOf, cleanOsAccount, lessonEndActor, maxOsAccountChars, processOsAccount } from '../../../src/main/api/actor.js';

describe('who acted', () => {
  it('is the channel and the OS account', () => {
    expect(actorOf('cli', 'thanh')).toBe('cli:thanh');
    expect(actorOf('teacher', null)).toBe('teacher:unverified');
    expect(processOsAccount()).toBe(userInfo().username);
    expect(lessonEndActor).toBe('lesson end');
  });

  it('takes the account from the kernel, the channel from the header, and says when the account is not known', () => {
    expect(actorOfPeer(channelOf('cli'), { verified: true, uid: 1000, account: 'Nguyễn Văn Thành' })).toBe('cli:Nguyễn Văn Thành');
    expect(actorOfPeer(channelOf(undefined), { verified: true, uid: 0, account: 'root' })).toBe('teacher:root');
    expect(actorOfPeer(channelOf('CLI; root'), { verified: false, reason: 'unsupported-os' })).toBe('teacher:unverified');
  });

  it('keeps nothing that could fake another entry or flood the log', () => {
    expect(cleanOsAccount('alice:cli:root\n\u0000')).toBe('alicecliroot');
    expect(cleanOsAccount('x'.repeat(500))).toHaveLength(maxOsAccountChars);
    expect(cleanOsAccount('::')).toBeNull();
    expect(cleanOsAccount(undefined)).toBeNull();
  });
});
