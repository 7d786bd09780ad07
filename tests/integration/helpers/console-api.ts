// Test clients of the console API: over HTTP (as the web UI and the IT command line use it) and
// an event recorder that lets a test wait for an event, for either transport.
import WebSocket from 'ws';
import type { ApiErrorBody, ApiEvent, ApiInput, ApiMethod, ApiOutput, ConsoleApiClient } from '../../../src/shared/api/contract.js';
import { withTimeout } from './wait.js';

export class HttpApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.code}: ${body.messageEn ?? body.message}`);
  }
}

export class HttpApi implements ConsoleApiClient {
  constructor(
    readonly apiUrl: string,
    readonly token: string,
  ) {}

  async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
    const response = await fetch(`${this.apiUrl}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(input ?? {}),
    });
    const body = (await response.json()) as unknown;
    if (!response.ok) throw new HttpApiError(response.status, body as ApiErrorBody);
    return body as ApiOutput<M>;
  }

  onEvent(): () => void {
    throw new Error('use EventRecorder.overHttp for events');
  }
}

type Waiter = { test: (event: ApiEvent) => boolean; resolve: (event: ApiEvent) => void };

/** Records every event and lets a test wait for one matching a predicate. */
export class EventRecorder {
  readonly events: ApiEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private stop: () => void = () => undefined;

  static inProcess(api: ConsoleApiClient): EventRecorder {
    const recorder = new EventRecorder();
    recorder.stop = api.onEvent((event) => recorder.add(event));
    return recorder;
  }

  static async overHttp(apiUrl: string, token: string): Promise<EventRecorder> {
    const recorder = new EventRecorder();
    const ws = new WebSocket(apiUrl.replace(/^http/, 'ws') + '/api/events', [`safelab.${token}`]);
    ws.on('message', (data) => recorder.add(JSON.parse(data.toString()) as ApiEvent));
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5000,
      'the event socket to open',
    );
    recorder.stop = () => ws.close();
    return recorder;
  }

  private add(event: ApiEvent): void {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.test(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }

  /** Events seen from index `from` on that match. */
  matching<T extends ApiEvent>(test: (event: ApiEvent) => event is T, from = 0): T[] {
    return this.events.slice(from).filter(test);
  }

  /** Waits for an event matching `test`, looking at events from index `from` on first. */
  waitFor<T extends ApiEvent = ApiEvent>(test: (event: ApiEvent) => boolean, ms: number, what: string, from = this.events.length): Promise<T> {
    const seen = this.events.slice(from).find(test);
    if (seen) return Promise.resolve(seen as T);
    let waiter!: Waiter;
    const found = new Promise<ApiEvent>((resolve) => {
      waiter = { test, resolve };
      this.waiters.add(waiter);
    });
    return withTimeout(found, ms, what).finally(() => this.waiters.delete(waiter)) as Promise<T>;
  }

  close(): void {
    this.stop();
  }
}

export const isThumbnail = (e: ApiEvent): e is Extract<ApiEvent, { type: 'thumbnail' }> => e.type === 'thumbnail';
export const isMachineUpdate = (e: ApiEvent): e is Extract<ApiEvent, { type: 'machine.updated' }> => e.type === 'machine.updated';

/** True for a machine.updated event saying `machineId` (or a machine named `name`) is online/offline. */
export function machineOnline(idOrName: string, online = true): (e: ApiEvent) => boolean {
  return (e) => e.type === 'machine.updated' && (e.machine.id === idOrName || e.machine.name === idOrName) && e.machine.online === online;
}

/** True once the machine is online and has said hello (its desktop is known and ready). */
export function machineReady(idOrName: string, desktop = 'simulated'): (e: ApiEvent) => boolean {
  return (e) =>
    e.type === 'machine.updated' && (e.machine.id === idOrName || e.machine.name === idOrName) && e.machine.online && e.machine.desktop === desktop;
}
