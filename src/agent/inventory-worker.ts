// Worker-thread entry that gathers the machine inventory once, posts it and ends (see inventory.ts).

import { parentPort } from 'node:worker_threads';
import { gatherInventory } from './inventory.js';

parentPort?.postMessage(await gatherInventory());
