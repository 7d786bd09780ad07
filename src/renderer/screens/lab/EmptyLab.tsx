// A lab without machines: says how computers get into it.
import { Icon } from '../../components/Icon.js';
import { useText } from '../../i18n/use-text.js';
import { useDialogs } from '../../state/dialogs.js';

export function EmptyLab() {
  const t = useText();
  return (
    <section className="empty-state" data-testid="empty-lab">
      <Icon name="monitor" size={48} />
      <h2>{t('ui.lab.empty.title')}</h2>
      <ol className="steps">
        <li>{t('ui.lab.empty.step1')}</li>
        <li>{t('ui.lab.empty.step2')}</li>
        <li>{t('ui.lab.empty.step3')}</li>
      </ol>
      <button type="button" className="primary" onClick={() => useDialogs.getState().show({ kind: 'addComputers' })}>
        <Icon name="plus" />
        {t('ui.enrol.open')}
      </button>
    </section>
  );
}
