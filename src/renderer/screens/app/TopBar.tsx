// Top bar: product name, lab / web filtering screens, lab picker, connection state, add computers,
// language switch.
import { translate, type Language } from '../../../shared/i18n/index.js';
import { Icon } from '../../components/Icon.js';
import { useText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { useDialogs } from '../../state/dialogs.js';
import { useLanguage } from '../../state/language.js';
import { useView } from '../../state/view.js';
import { LabPicker } from '../lab/LabPicker.js';
import { ConnectionPill } from './ConnectionState.js';

export function TopBar() {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const setLanguage = useLanguage((s) => s.setLanguage);
  const ready = useConnection((s) => s.consoleStatus !== null && s.status === 'online');
  const other: Language = language === 'vi' ? 'en' : 'vi';
  const screen = useView((s) => s.screen);
  return (
    <header className="topbar">
      <div className="brand">
        <Icon name="monitor" size={22} />
        <span className="brand-name">SafeLab</span>
        <span className="brand-sub">{t('ui.app.subtitle')}</span>
      </div>
      {screen === 'lab' && <LabPicker />}
      {/* Web filtering is IT staff's screen; teachers stay on the lab. */}
      {screen === 'lab' ? (
        <button type="button" className="nav-button" title={t('ui.nav.filtering')} onClick={() => useView.getState().show('profiles')}>
          <Icon name="shield" />
          <span className="nav-label">{t('ui.nav.filtering')}</span>
        </button>
      ) : (
        <button type="button" className="nav-button" onClick={() => useView.getState().show('lab')}>
          <Icon name="back" />
          {t('ui.nav.backToLab')}
        </button>
      )}
      <div className="spacer" />
      <ConnectionPill />
      <button type="button" disabled={!ready} onClick={() => useDialogs.getState().show({ kind: 'addComputers' })}>
        <Icon name="plus" />
        {t('ui.enrol.open')}
      </button>
      {/* Written in the language it switches to, so a teacher who cannot read the current one finds it. */}
      <button type="button" className="language-switch" lang={other} aria-label={translate(other, 'ui.language.switch')} onClick={() => setLanguage(other)}>
        {translate(other, 'ui.language.name')}
      </button>
    </header>
  );
}
