// Renderer entry: picks the transport (Electron bridge or web), starts the session, renders the UI.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { chooseTransport } from './api/choose-transport.js';
import { App } from './screens/app/App.js';
import { useConnection } from './state/connection.js';
import { startSession } from './state/session.js';

const choice = chooseTransport();
if (choice.transport) startSession(choice.transport);
else {
  useConnection.getState().setStatus('no-token');
  // Pasting the printed link into this tab only changes the fragment: start over with it.
  window.addEventListener('hashchange', () => {
    if (/(^#|&)token=/.test(window.location.hash)) window.location.reload();
  });
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
