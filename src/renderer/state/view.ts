// Which screen the console shows: the lab (teachers) or the web filtering profiles (IT staff).
import { create } from 'zustand';

export type Screen = 'lab' | 'profiles';

interface ViewState {
  screen: Screen;
  show(screen: Screen): void;
}

export const useView = create<ViewState>((set) => ({
  screen: 'lab',
  show: (screen) => set({ screen }),
}));
