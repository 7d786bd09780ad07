// Worker thread entry: parses every list source and compiles the blob off the console's event
// loop (a 4.6 M-name UT1 category takes seconds of parsing), then hands the bytes back without a copy.

import { parentPort, workerData } from 'node:worker_threads';
import { compileSources, type CompileRequest, type WorkerReply } from './compile-lists.js';

const request = workerData as CompileRequest;
compileSources(request).then(
  (result) => {
    const reply: WorkerReply = { ok: true, result };
    parentPort!.postMessage(reply, [result.blob.buffer as ArrayBuffer]);
  },
  (error: unknown) => {
    const reply: WorkerReply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    parentPort!.postMessage(reply);
  },
);
