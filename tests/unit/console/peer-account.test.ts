// Who owns the far end of a loopback connection, read from the kernel's socket tables: the
// /proc/net/tcp and /proc/net/tcp6 parser on text captured on this machine (a client running as
// uid 65534 connected to a server running as root), the uid → account lookup, and the answers
// when the kernel cannot be asked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  accountOfUid,
  canonicalAddress,
  clientSocketUid,
  decodeProcAddress,
  parsePasswd,
  parseProcNetTcp,
  peerAccount,
  rowsWithPorts,
} from '../../../src/main/api/peer-account.js';

// Captured with `cat /proc/net/tcp` while `node -e "net.connect(46833, '127.0.0.1')"` ran as uid
// 65534 (client port 47986 = 0xBB72) against a root server on port 46833 (0xB6F1); TIME_WAIT rows
// (uid 0, inode 0) and the server's listener as they came.
const tcp4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:B6F1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1139310 1 00000000bf7a630f 100 0 0 10 0                   
   2: 0100007F:A2CB 0100007F:A308 06 00000000:00000000 03:000004A8 00000000     0        0 0 3 00000000f9579b05                                      
   3: 0100007F:BB72 0100007F:B6F1 01 00000000:00000000 00:00000000 00000000 65534        0 1139373 2 0000000078751d29 20 0 0 10 -1                   
   6: 0100007F:B6F1 0100007F:BB72 01 00000000:00000000 00:00000000 00000000     0        0 1139969 1 000000001e2aa01f 20 0 0 10 -1                   
`;

// The same over ::1: client port 34546 (0x86F2) as uid 65534, server port 44137 (0xAC69) as root;
// and a dual-stack server's accepted IPv4 client, which tcp6 lists as ::ffff:127.0.0.1.
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:AC69 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1139314 1 00000000579c9058 100 0 0 10 0
   1: 00000000000000000000000001000000:86F2 00000000000000000000000001000000:AC69 01 00000000:00000000 00:00000000 00000000 65534        0 1140013 2 0000000077653762 20 0 0 10 -1
   2: 00000000000000000000000001000000:AC69 00000000000000000000000001000000:86F2 01 00000000:00000000 00:00000000 00000000     0        0 1139460 1 00000000afe46f6a 20 0 0 10 -1
   3: 0000000000000000FFFF00000100007F:AE1D 0000000000000000FFFF00000100007F:D478 01 00000000:00000000 00:00000000 00000000     0        0 1139319 1 00000000bd0dfc7f 20 0 0 10 -1
`;

const passwd = `root:x:0:0:root:/root:/bin/bash
# a comment line
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
thanh:x:1000:1000:Nguyễn Văn Thành,,,:/home/thanh:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
toor:x:0:0:second name of uid 0:/root:/bin/sh
+@netgroup::::::
`;

const scratch = mkdtempSync(path.join(tmpdir(), 'safelab-peer-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tables(files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(scratch, name);
    writeFileSync(file, text);
    return file;
  });
}

describe('the kernel socket tables', () => {
  it('reads every IPv4 row: addresses, ports, state, owner uid and inode', () => {
    const rows = parseProcNetTcp(tcp4, true);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ localAddress: '127.0.0.1', localPort: 46833, remoteAddress: '0.0.0.0', remotePort: 0, state: 0x0a, uid: 0, inode: 1139310 });
    expect(rows[2]).toEqual({ localAddress: '127.0.0.1', localPort: 47986, remoteAddress: '127.0.0.1', remotePort: 46833, state: 1, uid: 65534, inode: 1139373 });
    expect(rows[1]).toMatchObject({ state: 6, uid: 0, inode: 0 }); // TIME_WAIT: nobody owns it any more
  });

  it('reads IPv6 rows, and an IPv4-mapped address as the IPv4 address it is', () => {
    const rows = parseProcNetTcp(tcp6, true);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual({ localAddress: '::1', localPort: 34546, remoteAddress: '::1', remotePort: 44137, state: 1, uid: 65534, inode: 1140013 });
    expect(rows[0]).toMatchObject({ localAddress: '::1', remoteAddress: '::' });
    expect(rows[3]).toMatchObject({ localAddress: '127.0.0.1', localPort: 0xae1d, remoteAddress: '127.0.0.1', remotePort: 0xd478 });
  });

  it('decodes addresses in the byte order the kernel printed them', () => {
    expect(decodeProcAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeProcAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeProcAddress('00000000000000000000000000000001', false)).toBe('::1');
    // fe80::1234:5678 on a little-endian PC: each 32-bit word reversed.
    expect(decodeProcAddress('000080FE000000000000000078563412', true)).toBe('fe80::1234:5678');
    expect(() => decodeProcAddress('0100007', true)).toThrow(/not a \/proc\/net\/tcp address/);
  });

  it('skips the header and anything that is not a row', () => {
    expect(parseProcNetTcp('', true)).toEqual([]);
    expect(parseProcNetTcp('garbage\n   1: zz:0050 0100007F:0050 01 0 0 0 0 0 1\n   2: 0100007F:0050 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 x 0 5\n', true)).toEqual([]);
  });

  it('spells an address one way, whoever wrote it', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('0:0:0:0:0:FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('fe80::1%lo')).toBe('fe80::1');
    expect(canonicalAddress('127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('the owner of the client end of a connection', () => {
  const rows = [...parseProcNetTcp(tcp4, true), ...parseProcNetTcp(tcp6, true)];

  it('is the uid of the row whose local end is the client and far end the server, never the server’s mirror row', () => {
    expect(clientSocketUid(rows, { clientAddress: '127.0.0.1', clientPort: 47986, serverAddress: '127.0.0.1', serverPort: 46833 })).toBe(65534);
    expect(clientSocketUid(rows, { clientAddress: '::1', clientPort: 34546, serverAddress: '::1', serverPort: 44137 })).toBe(65534);
    // Seen from the server's side, the server socket is the client: its owner is root.
    expect(clientSocketUid(rows, { clientAddress: '127.0.0.1', clientPort: 46833, serverAddress: '127.0.0.1', serverPort: 47986 })).toBe(0);
    // A dual-stack server names its IPv4 client ::ffff:127.0.0.1.
    expect(clientSocketUid(rows, { clientAddress: '::ffff:127.0.0.1', clientPort: 47986, serverAddress: '::ffff:127.0.0.1', serverPort: 46833 })).toBe(65534);
  });

  it('is not found for a port, address or state that does not match', () => {
    expect(clientSocketUid(rows, { clientAddress: '127.0.0.1', clientPort: 47987, serverAddress: '127.0.0.1', serverPort: 46833 })).toBeNull();
    expect(clientSocketUid(rows, { clientAddress: '127.0.0.2', clientPort: 47986, serverAddress: '127.0.0.1', serverPort: 46833 })).toBeNull();
    // The TIME_WAIT row 0100007F:A2CB → 0100007F:A308 says nothing about a live client.
    expect(clientSocketUid(rows, { clientAddress: '127.0.0.1', clientPort: 0xa2cb, serverAddress: '127.0.0.1', serverPort: 0xa308 })).toBeNull();
  });

  it('is found by one scan for the connection’s ports, decoding only those rows', () => {
    expect(rowsWithPorts(tcp4, { clientPort: 47986, serverPort: 46833 }, true)).toEqual([
      { localAddress: '127.0.0.1', localPort: 47986, remoteAddress: '127.0.0.1', remotePort: 46833, state: 1, uid: 65534, inode: 1139373 },
    ]);
    expect(rowsWithPorts(tcp6, { clientPort: 34546, serverPort: 44137 }, true).map((r) => r.uid)).toEqual([65534]);
    expect(rowsWithPorts(tcp4, { clientPort: 46833, serverPort: 1 }, true)).toEqual([]);
  });

  it('is refused when two rows claim the same connection with different owners', () => {
    const twice = [...rows, { ...rows[2]!, uid: 1000 }];
    expect(clientSocketUid(twice, { clientAddress: '127.0.0.1', clientPort: 47986, serverAddress: '127.0.0.1', serverPort: 46833 })).toBe('ambiguous');
  });
});

describe('account names', () => {
  it('come from /etc/passwd, the first name of a uid winning, skipping comments and NIS lines', () => {
    const names = parsePasswd(passwd);
    expect(names.get(0)).toBe('root');
    expect(names.get(1000)).toBe('thanh');
    expect(names.get(65534)).toBe('nobody');
    expect([...names.keys()]).toEqual([0, 1, 1000, 65534]);
  });

  it('fall back to the uid for an account /etc/passwd does not list', async () => {
    const [file] = tables({ passwd });
    expect(await accountOfUid(1000, file)).toBe('thanh');
    expect(await accountOfUid(4242, file)).toBe('uid 4242');
    expect(await accountOfUid(0, path.join(scratch, 'no-passwd'))).toBe('uid 0');
  });
});

describe('the peer account of a connection', () => {
  const ends = { clientAddress: '127.0.0.1', clientPort: 47986, serverAddress: '127.0.0.1', serverPort: 46833 };

  it('is verified with the uid and its name when the tables list the connection', async () => {
    const [tcp, tcp6File, passwdFile] = tables({ tcp: tcp4, tcp6, passwd });
    const options = { procFiles: [tcp!, tcp6File!], passwdFile: passwdFile!, littleEndian: true, platform: 'linux' as const };
    expect(await peerAccount(ends, options)).toEqual({ verified: true, uid: 65534, account: 'nobody' });
    expect(await peerAccount({ clientAddress: '::1', clientPort: 34546, serverAddress: '::1', serverPort: 44137 }, options)).toEqual({ verified: true, uid: 65534, account: 'nobody' });
  });

  it('is unverified, with the reason, where the kernel cannot be asked or has no answer', async () => {
    const [tcp, passwdFile] = tables({ tcp: tcp4, passwd });
    const base = { procFiles: [tcp!], passwdFile: passwdFile!, littleEndian: true };
    expect(await peerAccount(ends, { ...base, platform: 'win32' })).toEqual({ verified: false, reason: 'unsupported-os' });
    expect(await peerAccount(ends, { ...base, platform: 'darwin' })).toEqual({ verified: false, reason: 'unsupported-os' });
    expect(await peerAccount({ ...ends, clientPort: 1 }, { ...base, platform: 'linux' })).toEqual({ verified: false, reason: 'not-found' });
    expect(await peerAccount({ clientAddress: '127.0.0.1', serverAddress: '127.0.0.1', serverPort: 46833 }, { ...base, platform: 'linux' })).toEqual({ verified: false, reason: 'not-found' });
    expect(await peerAccount(ends, { ...base, procFiles: [path.join(scratch, 'nope')], platform: 'linux' })).toEqual({ verified: false, reason: 'unreadable' });
  });
});
