// A readable error from the console (in the UI language), dismissable.
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useNotices } from '../../state/notices.js';

export function ErrorNotice() {
  const t = useText();
  const pick = useUserText();
  const error = useNotices((s) => s.error);
  if (!error) return null;
  return (
    <div className="banner error" role="alert">
      <span className="banner-text">{pick(error)}</span>
      <button type="button" className="icon-button" aria-label={t('ui.notice.dismiss')} title={t('ui.notice.dismiss')} onClick={() => useNotices.getState().dismiss()}>
        <Icon name="close" />
      </button>
    </div>
  );
}
