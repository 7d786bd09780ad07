// What the teacher sees while the console is not (or no longer) reachable.
import { useText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';

/** Full-page state before anything could be loaded. */
export function ConnectionScreen() {
  const t = useText();
  const status = useConnection((s) => s.status);
  if (status === 'no-token' || status === 'unauthorized') {
    const key = status === 'no-token' ? 'noToken' : 'unauthorized';
    return (
      <section className="state-page" role="alert">
        <h1>{t(`ui.connection.${key}.title`)}</h1>
        <p>{t(`ui.connection.${key}.body`)}</p>
      </section>
    );
  }
  return (
    <section className="state-page" role="status" aria-live="polite">
      <span className="spinner large" aria-hidden="true" />
      <h1>{t(status === 'reconnecting' ? 'ui.connection.reconnecting' : 'ui.connection.connecting')}</h1>
      <p>{t('ui.connection.connectingHint')}</p>
    </section>
  );
}

/** Strip above the lab while the link is down; the grid stays visible but may be out of date. */
export function ConnectionBanner() {
  const t = useText();
  const status = useConnection((s) => s.status);
  const loaded = useConnection((s) => s.consoleStatus !== null);
  if (!loaded) return null;
  if (status === 'reconnecting') {
    return (
      <div className="banner warn" role="status" data-testid="connection-lost">
        <span className="spinner" aria-hidden="true" />
        <span className="banner-text">{t('ui.connection.lost')}</span>
      </div>
    );
  }
  if (status === 'unauthorized') {
    return (
      <div className="banner error" role="alert">
        <span className="banner-text">{t('ui.connection.unauthorized.body')}</span>
      </div>
    );
  }
  return null;
}

/** Small status in the top bar. */
export function ConnectionPill() {
  const t = useText();
  const status = useConnection((s) => s.status);
  const key = status === 'online' ? 'online' : status === 'reconnecting' ? 'reconnectingShort' : status === 'connecting' ? 'connectingShort' : 'offlineShort';
  return (
    <span className={`pill connection-${status}`} role="status" data-testid="connection-status">
      <span className="dot" aria-hidden="true" />
      {t(`ui.connection.${key}`)}
    </span>
  );
}
