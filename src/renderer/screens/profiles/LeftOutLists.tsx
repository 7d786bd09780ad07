// The lists the compiler left out of the filter (a category given both as a block and an allow
// list, a bad category name, more categories than a filter holds): their names filter nothing, so
// IT staff see each one, why, and the source that brings it, above the sources table.
import type { FilterListInfo } from '../../../shared/api/contract.js';
import type { Language } from '../../../shared/i18n/index.js';
import { Icon } from '../../components/Icon.js';
import { formatNumber } from '../../format/format.js';
import { useText } from '../../i18n/use-text.js';
import { leftOutText } from '../filtering/filter-text.js';

export function LeftOutLists({ leftOut, language }: { leftOut: FilterListInfo['leftOut']; language: Language }) {
  const t = useText();
  if (leftOut.total === 0) return null;
  const more = leftOut.total - leftOut.lists.length;
  return (
    <div className="left-out" data-testid="lists-left-out">
      <p className="warn-text">
        <Icon name="warning" size={16} /> {t('ui.lists.leftOut.title', { count: formatNumber(language, leftOut.total, 0) })}
      </p>
      <ul>
        {leftOut.lists.map((list, i) => (
          <li key={i} data-kind={list.kind} data-category={list.category}>
            {leftOutText(language, list)}
            <span className="muted">
              {' · '}
              {list.names === 1 ? t('ui.lists.leftOut.oneName') : t('ui.lists.leftOut.names', { names: formatNumber(language, list.names, 0) })}
              {list.sourceIds.length > 0 ? ` · ${t('ui.lists.leftOut.from', { sources: list.sourceIds.join(', ') })}` : ''}
            </span>
          </li>
        ))}
      </ul>
      {more > 0 && <p className="hint">{t('ui.lists.leftOut.more', { count: formatNumber(language, more, 0) })}</p>}
    </div>
  );
}
