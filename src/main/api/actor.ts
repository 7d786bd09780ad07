// Who is acting, as the audit log and "last changed by" record it: the channel (the teacher UI or
// the IT command line) and the operating-system account behind it, e.g. "cli:thanh" or
// "teacher:giaovien". SafeLab has no user logins yet, so the OS account is the best "who" there is,
// and it is never taken from the caller's word:
// - the desktop window: the account running the console process (it is the console);
// - anything over the loopback API (the IT command line, the UI in a browser, a script holding the
//   token): the account owning the client's end of the TCP connection, as the kernel reports it
//   (peer-account.ts). The `x-safelab-client: cli` header only labels the channel; it names no one.
//   Where the kernel cannot be asked (not Linux) or has no answer, the entry says "unverified".
// Automatic changes have their own fixed actors ('system', 'lesson end').

import { userInfo } from 'node:os';
import type { PeerAccount } from './peer-account.js';

export type Channel = 'teacher' | 'cli';

/** Header a client labels its channel with ("cli" for the IT command line; anything else is the UI). */
export const channelHeader = 'x-safelab-client';
/** Longest OS account name kept (Windows "DOMAIN\\name" included); longer names are cut. */
export const maxOsAccountChars = 64;
/** What stands for the account when the kernel could not say who is calling. */
export const unverifiedAccount = 'unverified';
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

/** An account name fit for the log: printable, no separators that could fake another entry, bounded. */
export function cleanOsAccount(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const cleaned = raw.replace(/[^\p{L}\p{N}._\-@\\ ]/gu, '').trim().slice(0, maxOsAccountChars);
  return cleaned.length > 0 ? cleaned : null;
}

/** The channel a request's header names; a label only, never an identity. */
export function channelOf(header: string | string[] | undefined): Channel {
  return header === 'cli' ? 'cli' : 'teacher';
}

/** "<channel>:<account>", or "<channel>:unverified" when the account is not known for sure. */
export function actorOf(channel: Channel, osAccount: string | null): string {
  return `${channel}:${osAccount ?? unverifiedAccount}`;
}

/** The actor of an API call on a loopback connection: its channel label and the kernel's word on its account. */
export function actorOfPeer(channel: Channel, peer: PeerAccount): string {
  return actorOf(channel, peer.verified ? cleanOsAccount(peer.account) : null);
}
