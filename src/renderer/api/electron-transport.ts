// Desktop shell transport: the preload bridge (window.safelab) already is a ConsoleApiClient over IPC.
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ConsoleApiClient } from '../../shared/api/contract.js';
import type { ConsoleTransport, LinkStatus } from './transport.js';

export function createElectronTransport(bridge: ConsoleApiClient): ConsoleTransport {
  const linkListeners = new Set<(status: LinkStatus) => void>();
  return {
    kind: 'electron',
    call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
      return bridge.call(method, input);
    },
    onEvent(listener: (event: ApiEvent) => void): () => void {
      return bridge.onEvent(listener);
    },
    onLinkChange(listener) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
    // IPC to the console core in the same app cannot drop, so the link is open from the start.
    start() {
      for (const l of linkListeners) l('open');
    },
    stop() {
      linkListeners.clear();
    },
  };
}
