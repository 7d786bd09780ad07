// The console window: top bar, connection state, the lab screen, and whichever dialog is open.
import { useEffect } from 'react';
import { useText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { useDialogs } from '../../state/dialogs.js';
import { useLanguage } from '../../state/language.js';
import { LabScreen } from '../lab/LabScreen.js';
import { ProfilesScreen } from '../profiles/ProfilesScreen.js';
import { useView } from '../../state/view.js';
import { ConnectionBanner, ConnectionScreen } from './ConnectionState.js';
import { DialogHost } from './DialogHost.js';
import { ErrorNotice } from './ErrorNotice.js';
import { TopBar } from './TopBar.js';

export function App() {
  const t = useText();
  const status = useConnection((s) => s.status);
  const loaded = useConnection((s) => s.consoleStatus !== null);
  const language = useLanguage((s) => s.language);
  const dialogOpen = useDialogs((s) => s.open !== null);
  const screen = useView((s) => s.screen);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t('ui.app.title');
  }, [language, t]);

  const ready = loaded && (status === 'online' || status === 'reconnecting');
  return (
    <>
      {/* While a dialog is open the page behind it is inert: no focus, no clicks, not read out. */}
      <div className="app" inert={dialogOpen}>
        <TopBar />
        <ConnectionBanner />
        <ErrorNotice />
        <main className="main" id="main">
          {ready ? screen === 'profiles' ? <ProfilesScreen /> : <LabScreen /> : <ConnectionScreen />}
        </main>
      </div>
      <DialogHost />
    </>
  );
}
