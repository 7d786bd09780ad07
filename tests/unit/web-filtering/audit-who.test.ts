// Who changed a profile, as the audit log records it while SafeLab has no user logins: the channel
// and the OS account, carried safely from the command line (Vietnamese names included).
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { actorOf, cleanOsAccount, decodeOsAccount, encodeOsAccount, lessonEndActor, maxOsAccountChars, processOsAccount } from '../../../src/main/api/actor.js';

describe('who acted', () => {
  it('is the channel and the OS account', () => {
    expect(actorOf('cli', 'thanh')).toBe('cli:thanh');
    expect(actorOf('teacher', null)).toBe('teacher:unknown');
    expect(processOsAccount()).toBe(userInfo().username);
    expect(lessonEndActor).toBe('lesson end');
  });

  it('carries an account name through a header, accents and domain included', () => {
    for (const name of ['Nguyễn Văn Thành', 'TRUONG\\giaovien', 'it.staff@school']) {
      const header = encodeOsAccount(name);
      expect(header).toMatch(/^[\x21-\x7e]+$/);
      expect(decodeOsAccount(header)).toBe(name);
    }
  });

  it('keeps nothing that could fake another entry or flood the log', () => {
    expect(cleanOsAccount('alice:cli:root\n\u0000')).toBe('alicecliroot');
    expect(cleanOsAccount('x'.repeat(500))).toHaveLength(maxOsAccountChars);
    expect(cleanOsAccount('::')).toBeNull();
    expect(decodeOsAccount('%E0%A4%A')).toBeNull();
    expect(decodeOsAccount(undefined)).toBeNull();
  });
});
