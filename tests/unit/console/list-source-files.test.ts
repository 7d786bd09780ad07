// What the console reads as a list file (src/main/filtering/local-files.ts, example-lines.ts): the
// places refused wherever a link leads, pipes and oversized files refused before reading, a UT1
// copy whose file links to a key losing that file, and reports that quote lines only of lists.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mostlyBad, withExamplesOnlyFromLists } from '../../../src/main/filtering/example-lines.js';
import { checkLocalPath, containsKeyMaterial, LocalFileError, readLocalFile, refusedPlace } from '../../../src/main/filtering/local-files.js';
import { readUt1Folder } from '../../../src/main/filtering/ut1.js';
import { parseList } from '../../../src/shared/filtering/parse-list.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'safelab-list-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function refusalOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LocalFileError);
  return (error as LocalFileError).refusal;
}

describe('places no list is read from', () => {
  it('refuses the protected folders, system places and key files, and allows ordinary places', () => {
    expect(refusedPlace('/home/it/.config/safelab/console-key.pem', ['/home/it/.config/safelab'], 'linux')).toBe('data-dir');
    expect(refusedPlace('/home/it/.config/safelab', ['/home/it/.config/safelab/'], 'linux')).toBe('data-dir');
    expect(refusedPlace('/home/it/.config/safelab-lists/a.txt', ['/home/it/.config/safelab'], 'linux')).toBeNull();
    for (const place of ['/etc/shadow', '/etc/gshadow', '/proc/1/environ', '/sys/kernel/uevent_seqnum', '/dev/zero', '/run/secrets/db', '/etc/ssh/ssh_host_ed25519_key']) {
      expect(refusedPlace(place, [], 'linux'), place).toBe('system');
    }
    for (const key of ['/home/it/.ssh/config', '/srv/tls/server.key', '/srv/tls/ca.CRT', '/home/it/id_ed25519', '/home/it/backup.p12', '/home/it/.gnupg/pubring.kbx']) {
      expect(refusedPlace(key, [], 'linux'), key).toBe('secret-file');
    }
    for (const fine of ['/etc/hosts', '/home/it/lists/gambling.txt', '/srv/ut1/adult/domains', '/etc/shadow.d-lists/x.txt']) {
      expect(refusedPlace(fine, [], 'linux'), fine).toBeNull();
    }
  });

  it('knows Windows paths without regard to case', () => {
    expect(refusedPlace('c:\\windows\\system32\\config\\SAM', [], 'win32')).toBe('system');
    expect(refusedPlace('C:\\Users\\it\\AppData\\Roaming\\SafeLab\\safelab.sqlite', ['C:\\Users\\IT\\AppData\\Roaming\\SafeLab'], 'win32')).toBe('data-dir');
    expect(refusedPlace('D:\\lists\\school.txt', [], 'win32')).toBeNull();
  });

  it('recognises key material by its PEM or PuTTY header', () => {
    expect(containsKeyMaterial('a.test\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n')).toBe(true);
    expect(containsKeyMaterial('-----BEGIN CERTIFICATE-----')).toBe(true);
    expect(containsKeyMaterial('PuTTY-User-Key-File-3: ssh-ed25519\n')).toBe(true);
    expect(containsKeyMaterial('a.test\n----- BEGIN of list -----\n')).toBe(false);
  });
});

describe('reading a list file', () => {
  it('reads a regular file, following a link that stays in an ordinary place', async () => {
    const list = path.join(scratch, 'list.txt');
    writeFileSync(list, 'casino.test\n');
    symlinkSync(list, path.join(scratch, 'link.txt'));
    expect(Buffer.from(await readLocalFile(path.join(scratch, 'link.txt'))).toString()).toBe('casino.test\n');
  });

  it('refuses a pipe, a folder, a missing file, a file over the limit and a link into a protected folder', async () => {
    const fifo = path.join(scratch, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(await refusalOf(readLocalFile(fifo))).toBe('not-regular');
    expect(await refusalOf(readLocalFile(scratch))).toBe('not-a-file');
    expect(await refusalOf(readLocalFile(path.join(scratch, 'absent.txt')))).toBe('missing');
    const big = path.join(scratch, 'big.txt');
    writeFileSync(big, '');
    truncateSync(big, 1025);
    expect(await refusalOf(readLocalFile(big, { maxBytes: 1024 }))).toBe('too-large');
    const data = path.join(scratch, 'data');
    mkdirSync(data);
    writeFileSync(path.join(data, 'console.json'), '{"token":"x"}');
    symlinkSync(path.join(data, 'console.json'), path.join(scratch, 'token-link.txt'));
    expect(await refusalOf(readLocalFile(path.join(scratch, 'token-link.txt'), { protectedDirs: [data] }))).toBe('data-dir');
    expect(await refusalOf(checkLocalPath(path.join(scratch, 'list.txt'), 'folder'))).toBe('not-a-folder');
  });

  it('leaves out a UT1 file that is a link to a key, and reads the rest of the copy', async () => {
    const copy = path.join(scratch, 'ut1');
    mkdirSync(path.join(copy, 'gambling'), { recursive: true });
    mkdirSync(path.join(copy, 'adult'), { recursive: true });
    writeFileSync(path.join(copy, 'gambling', 'domains'), 'casino.test\n');
    writeFileSync(path.join(scratch, 'server.pem'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    symlinkSync(path.join(scratch, 'server.pem'), path.join(copy, 'adult', 'domains'));
    const categories = await readUt1Folder(copy);
    expect(categories.map((c) => c.category)).toEqual(['gambling']);
    expect(categories[0]!.parsed.block).toEqual(['casino.test']);
  });
});

describe('which reports may quote lines', () => {
  const parse = (text: string) => withExamplesOnlyFromLists(parseList(text, 'domains', 'test'), [text]);

  it('quotes the bad lines of a list that is mostly good', () => {
    const report = parse('a.test\nb.test\nc.test\nbad name\n').report;
    expect(report.examples).toEqual([{ line: 4, problem: 'bad-character', text: 'bad name' }]);
  });

  it('quotes nothing of a file that is mostly bad lines, and keeps its counts and reasons', () => {
    const report = parse('user=admin\npassword=hunter2\nok.test\n').report;
    expect(mostlyBad(report)).toBe(true);
    expect(report).toMatchObject({ accepted: 1, bad: 2, examples: [] });
    expect(Object.values(report.problems).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('quotes nothing of a file with a key in it, however good the rest', () => {
    const text = Array.from({ length: 50 }, (_, i) => `site-${i}.test`).join('\n') + '\n-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n';
    const report = parse(text).report;
    expect(report.accepted).toBe(50);
    expect(report.bad).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
  });
});
