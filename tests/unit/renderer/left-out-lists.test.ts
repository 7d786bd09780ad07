// Lists the compiler left out of the filter, as IT staff read them: why, in the UI language, and
// still something readable for a reason this console version has no words for.
import { describe, expect, it } from 'vitest';
import { leftOutText } from '../../../src/renderer/screens/filtering/filter-text.js';

describe('lists left out of the filter', () => {
  it('says why each kind was left out, naming its category, in both languages', () => {
    const clash = { kind: 'kind-conflict', category: 'ads-allow', names: 2, sourceIds: ['ads'] };
    expect(leftOutText('vi', clash)).toBe('Danh sách "ads-allow" bị bỏ qua: một danh mục không thể vừa là danh sách chặn vừa là danh sách cho phép');
    expect(leftOutText('en', clash)).toBe('List "ads-allow" left out: one category cannot be both a block list and an allow list');
    expect(leftOutText('en', { ...clash, kind: 'too-many-categories', category: 'c2049' })).toBe('List "c2049" left out: a filter holds at most 2048 categories');
    expect(leftOutText('vi', { ...clash, kind: 'bad-category-name', category: 'Cờ bạc' })).toMatch(/^Danh sách "Cờ bạc" bị bỏ qua: tên danh mục/);
  });

  it('shows a reason this console does not know as its code, with the category', () => {
    expect(leftOutText('en', { kind: 'something-new', category: 'games', names: 1, sourceIds: [] })).toBe('games: something-new');
  });
});
