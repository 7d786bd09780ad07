// Says plainly when third-party block lists (UT1…) have no copy yet, and what is still blocked then.
import { useText } from '../../i18n/use-text.js';
import { useFiltering } from '../../state/filtering.js';
import { Icon } from '../../components/Icon.js';
import { listsNotice } from './filter-text.js';

export function ListsNotice({ forItStaff = false }: { forItStaff?: boolean }) {
  const t = useText();
  const loaded = useFiltering((s) => s.loaded);
  const sources = useFiltering((s) => s.sources);
  if (!loaded) return null;
  const notice = listsNotice(sources);
  if (!notice) return null;
  const title =
    notice.kind === 'partly'
      ? t('ui.lists.partly.title', { missing: notice.missing, total: notice.total })
      : notice.configured === 0
        ? t('ui.lists.noneConfigured.title')
        : t('ui.lists.none.title');
  return (
    <div className="notice warn" role="status" data-testid="lists-notice">
      <Icon name="warning" />
      <div className="notice-text">
        <strong>{title}</strong>
        <details>
          <summary>{t('ui.lists.whatItMeans')}</summary>
          <p>{notice.kind === 'partly' ? t('ui.lists.partly.body') : t('ui.lists.none.body')}</p>
          <p>{t('ui.lists.stillBlocked')}</p>
          {!forItStaff && <p>{t('ui.lists.itHint')}</p>}
        </details>
      </div>
    </div>
  );
}
