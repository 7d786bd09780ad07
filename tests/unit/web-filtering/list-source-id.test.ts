// Ids for list sources IT staff add from the UI or the command line: readable, valid for the
// schema, unique among the configured ones; and which UT1 copy type a path names.
import { describe, expect, it } from 'vitest';
import { newListSourceId, ut1CopyType } from '../../../src/shared/api/list-source-id.js';
import { listSourceIdPattern } from '../../../src/shared/filtering/list-sources.js';

describe('ids for new list sources', () => {
  it('names a source after what it is', () => {
    expect(newListSourceId({ type: 'ut1-category', category: 'gambling' }, [])).toBe('ut1-gambling');
    expect(newListSourceId({ type: 'url', category: 'social_networks' }, [])).toBe('url-social_networks');
    expect(newListSourceId({ type: 'file', category: 'games', path: '/srv/x.txt' }, [])).toBe('file-games');
    expect(newListSourceId({ type: 'ut1-tarball', path: '/srv/Blacklists.tar.gz' }, [])).toBe('ut1-copy-blacklists');
    expect(newListSourceId({ type: 'ut1-folder', path: 'C:\\Lists\\Danh sách UT1\\' }, [])).toBe('ut1-copy-danh-sach-ut1');
  });

  it('adds -2, -3… when the id is taken, and always makes an id the schema accepts', () => {
    expect(newListSourceId({ type: 'ut1-category', category: 'gambling' }, ['ut1-gambling', 'ut1-gambling-2'])).toBe('ut1-gambling-3');
    for (const source of [
      { type: 'ut1-folder' as const, path: '/' },
      { type: 'file' as const, category: '', path: '///' },
      { type: 'url' as const, category: 'x'.repeat(200) },
      { type: 'ut1-tarball' as const, path: '/srv/Đồ án/ổ cứng.tgz' },
    ]) {
      const id = newListSourceId(source, []);
      expect(id, JSON.stringify(source)).toMatch(listSourceIdPattern);
    }
  });

  it('takes a .tar.gz, .tgz or .tar path for an archive and anything else for an unpacked folder', () => {
    expect(ut1CopyType('/srv/blacklists.tar.gz')).toBe('ut1-tarball');
    expect(ut1CopyType('/srv/adult.TGZ')).toBe('ut1-tarball');
    expect(ut1CopyType('/srv/ut1.tar ')).toBe('ut1-tarball');
    expect(ut1CopyType('/srv/ut1/blacklists')).toBe('ut1-folder');
  });
});
