import type { Engine } from '../../src/engine.js';
import { singleProcessCoordination } from '../../src/invitations/ledger/coordination.js';
import { asResult, type Ledger } from '../../src/invitations/ledger/ledger.js';
import type { InvitationResult } from '../../src/invitations/outcome.js';
import type { InvitationRequest } from '../../src/invitations/request.js';
import { Sender } from '../../src/invitations/sender.js';
import type { Logger } from '../../src/logger.js';
import { newReference } from '../../src/reference.js';
import { recordingLogger } from './recording-logger.js';

/**
 * Records a validated request in `ledger`, lets a Sender over the engine's clients send it, and reads
 * every outcome back from the ledger: the path an invitation takes in the bot, without Slack.
 */
export async function sendThrough(engine: Engine, ledger: Ledger, request: InvitationRequest, logger: Logger = recordingLogger([]).logger): Promise<InvitationResult> {
  const ref = newReference();
  await ledger.record({ ref, source: 'command', request, channelId: 'C1', again: true }, { budget: { limit: 10_000, windowMs: 60_000 }, duplicateWindowMs: 1 }, Date.now());
  const inviters = { ...(engine.kantata ? { kantata: engine.kantata } : {}), ...(engine.huddle ? { huddle: engine.huddle } : {}) };
  const sender = new Sender({
    ledger,
    services: [...(engine.kantata ? ['kantata' as const] : []), ...(engine.huddle ? ['huddle' as const] : [])],
    inviters: async () => inviters,
    coordination: singleProcessCoordination(),
    owner: 'test-process',
    logger,
    pollMs: 20,
  });
  await sender.start();
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      const report = await ledger.findRequest(ref);
      if (report?.request.finishedAt !== undefined) return asResult(report);
      if (Date.now() > deadline) throw new Error('the request was not finished in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await sender.stop(1_000);
  }
}
