// What the UI talks to: the shared ConsoleApiClient plus the state of the link that carries it.
import type { ConsoleApiClient } from '../../shared/api/contract.js';

/**
 * 'connecting' before the first contact, 'open' while events flow, 'lost' while reconnecting,
 * 'refused' when the console rejects our token (it will not change its mind: no more retries).
 */
export type LinkStatus = 'connecting' | 'open' | 'lost' | 'refused';

export interface ConsoleTransport extends ConsoleApiClient {
  readonly kind: 'electron' | 'web';
  /** Reports every change of the link; 'open' again after a loss means "refetch everything". */
  onLinkChange(listener: (status: LinkStatus) => void): () => void;
  start(): void;
  stop(): void;
}
