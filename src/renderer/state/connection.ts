// How the UI is connected to the console, and what the console said about itself.
import { create } from 'zustand';
import type { ConsoleStatus } from '../../shared/api/contract.js';

/**
 * connecting   — first contact not made yet
 * online       — events flow and the state is fresh
 * reconnecting — the link dropped; what is shown may be stale
 * unauthorized — the console refused the token (restarted console, old link)
 * no-token     — web page opened without the #token=… link
 */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'unauthorized' | 'no-token';

interface ConnectionState {
  status: ConnectionStatus;
  consoleStatus: ConsoleStatus | null;
  setStatus(status: ConnectionStatus): void;
  setConsoleStatus(consoleStatus: ConsoleStatus): void;
}

export const useConnection = create<ConnectionState>((set) => ({
  status: 'connecting',
  consoleStatus: null,
  setStatus: (status) => set({ status }),
  setConsoleStatus: (consoleStatus) => set({ consoleStatus }),
}));
