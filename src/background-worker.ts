import { parentPort, workerData } from 'node:worker_threads';
import { startBackground } from './background.js';
import type { BackgroundThreadInput, FromBackground, ToBackground } from './background-thread.js';
import { secretValues } from './config.js';
import { createEngine } from './engine.js';
import { coordinationFor } from './invitations/ledger/coordination.js';
import { LINK_STORE_METHODS } from './identity/link-store.js';
import { LEDGER_METHODS, serveStoreCall } from './invitations/ledger/remote.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { openStores } from './stores.js';

/** Ledger calls after which the sender or delivery has something to do. */
const WORK_MAKING_METHODS: ReadonlySet<string> = new Set(['record', 'decide', 'retry', 'resumeAfterLink']);

/** The background thread: its own ledger connection, upstream clients and Slack client (see background-thread.ts). */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('background-worker.js runs as a worker thread only');
  const { config, owner } = workerData as BackgroundThreadInput;
  const tell = (message: FromBackground) => port.postMessage(message);
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) }).child({ thread: 'background' });
  const metrics = new Metrics();
  const { ledger, links } = await openStores(config.storage, { poolSize: 4 });
  const engine = createEngine(config, { logger, metrics });
  const coordination = await coordinationFor(config.storage, owner, logger);
  const background = await startBackground({ config, logger, metrics, ledger, links, engine, coordination, owner });
  const served = { ledger: { target: ledger, methods: LEDGER_METHODS }, links: { target: links, methods: LINK_STORE_METHODS } };

  port.on('message', (message: ToBackground) => {
    switch (message.type) {
      case 'wake':
        background.wake();
        return;
      case 'metrics':
        void metrics.snapshot().then((snapshot) => tell({ type: 'metrics', id: message.id, snapshot }));
        return;
      case 'store':
        void serveStoreCall(served, message.call).then((answer) => {
          tell({ type: 'store', answer });
          // A request recorded, decided, retried or resumed here is work for this thread: no message back and forth to say so.
          if (message.call.store === 'ledger' && WORK_MAKING_METHODS.has(message.call.method) && answer.ok) background.wake();
        });
        return;
      case 'stop':
        void background
          .stop(message.deadlineMs)
          .then(async ({ drained }) => {
            await Promise.allSettled([engine.close(), coordination.close(), ledger.close()]);
            tell({ type: 'stopped', drained });
          })
          .finally(() => port.close());
        return;
    }
  });
  tell({ type: 'ready' });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies FromBackground);
  process.exitCode = 1;
});
