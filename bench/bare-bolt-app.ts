/**
 * The baseline: a Bolt app in HTTP mode that verifies requests and acks `/invite` with nothing else.
 * Our bot's ack latency is reported as a ratio to this one's, measured in the same run.
 */
import { App, LogLevel } from '@slack/bolt';

const app = new App({
  token: process.env.SLACK_BOT_TOKEN ?? '',
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? '', retryConfig: { retries: 0 } },
  logLevel: LogLevel.ERROR,
  customRoutes: [{ path: '/readyz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('{}') }],
  deferInitialization: true,
});
app.command('/invite', async ({ ack }) => {
  await ack();
});
await app.init();
await app.start(Number(process.env.PORT));
process.on('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
