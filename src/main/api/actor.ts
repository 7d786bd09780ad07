// Who is acting, as the audit log and "last changed by" record it: the channel (the teacher UI or
// the IT command line) and the operating-system account behind it, e.g. "cli:thanh" or
// "teacher:giaovien". SafeLab has no user logins yet, so the OS account is the best "who" there is:
// - the UI (Electron window or web mode on loopback): the account running the console process. A
//   browser of another account on the same PC cannot be told apart in web mode;
// - the IT command line: the account it runs as, sent in a header. Self-reported: whoever holds the
//   API token (readable only by the console's account) could claim another name, as they could do
//   anything else the API allows. Real accountability comes with user logins.
// Automatic changes have their own fixed actors ('system', 'lesson end').

import { userInfo } from 'node:os';

export type Channel = 'teacher' | 'cli';

/** Header the command line sends its OS account in. */
export const osAccountHeader = 'x-safelab-os-account';
/** Longest OS account name kept (Windows "DOMAIN\\name" included); longer claims are cut. */
export const maxOsAccountChars = 64;
/** The actor of the profile revert a lesson's end makes on its own. */
export const lessonEndActor = 'lesson end';

/** The account running this process, or 'unknown' where the OS will not say. */
export function processOsAccount(): string {
  try {
    return cleanOsAccount(userInfo().username) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A claimed account name fit for the log: printable, no separators that could fake another entry, bounded. */
export function cleanOsAccount(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const cleaned = raw.replace(/[^\p{L}\p{N}._\-@\\ ]/gu, '').trim().slice(0, maxOsAccountChars);
  return cleaned.length > 0 ? cleaned : null;
}

/** Header values are bytes: the account travels percent-encoded (Vietnamese account names are common). */
export function encodeOsAccount(account: string): string {
  return encodeURIComponent(account);
}

export function decodeOsAccount(header: string | undefined): string | null {
  if (header === undefined) return null;
  try {
    return cleanOsAccount(decodeURIComponent(header.slice(0, maxOsAccountChars * 12)));
  } catch {
    return null;
  }
}

export function actorOf(channel: Channel, osAccount: string | null): string {
  return `${channel}:${osAccount ?? 'unknown'}`;
}
