// One error notice at a time for failures outside a dialog (loading, lessons, removal).
import { create } from 'zustand';
import type { UserText } from '../api/console-error.js';

interface NoticesState {
  error: UserText | null;
  show(error: UserText): void;
  dismiss(): void;
}

export const useNotices = create<NoticesState>((set) => ({
  error: null,
  show: (error) => set({ error }),
  dismiss: () => set({ error: null }),
}));
