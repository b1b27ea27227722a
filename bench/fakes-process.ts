/**
 * The fake Slack, Kantata and Huddle servers in a process of their own, run at the lowest CPU priority:
 * in production those services are on other machines and cost the bot's machine nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import { FakeHuddle } from '../test/fakes/fake-huddle.js';
import { FakeKantata } from '../test/fakes/fake-kantata.js';
import { FakeSlack } from '../test/fakes/fake-slack.js';
import { HUDDLE_TOKEN, KANTATA_TOKEN } from './fakes-process-tokens.js';
import { BENCH_USERS, BOT_TOKEN, type FakeStats } from './lib.js';

setPriority(19);
const slack = await FakeSlack.start(BOT_TOKEN);
slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann' });
for (const id of BENCH_USERS) slack.addUser({ id, email: `${id.toLowerCase()}@inviter.example`, realName: `Person ${id}` });
const kantata = await FakeKantata.start({ token: KANTATA_TOKEN });
const huddle = await FakeHuddle.start({ tokens: [HUDDLE_TOKEN] });
// The fakes keep every request for tests to inspect; a benchmark of thousands of calls should not. It keeps counts.
const stats: { -readonly [K in keyof FakeStats]: FakeStats[K] } = { kantataInvitations: 0, huddleAddresses: 0, lastInvitationAt: 0 };
for (const server of [slack.server, kantata.server, huddle.server]) server.requests.push = () => 0;
slack.calls.push = () => 0;
slack.responseUrlPosts.push = () => 0;
kantata.invitations.push = (...items) => {
  stats.kantataInvitations += items.length;
  stats.lastInvitationAt = Date.now();
  return 0;
};
huddle.invitations.push = (...items) => {
  stats.huddleAddresses += items.reduce((sum, item) => sum + item.addresses.length, 0);
  stats.lastInvitationAt = Date.now();
  return 0;
};
const statsServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats)));
await new Promise<void>((resolve) => statsServer.listen(0, '127.0.0.1', resolve));

process.stdout.write(
  `${JSON.stringify({
    slackApiUrl: slack.apiUrl,
    responseUrl: slack.responseUrl('bench'),
    kantataUrl: kantata.apiUrl,
    huddleUrl: huddle.apiUrl,
    statsUrl: `http://127.0.0.1:${(statsServer.address() as AddressInfo).port}/stats`,
  })}\n`,
);
process.on('SIGTERM', () => {
  statsServer.close();
  void Promise.all([slack.close(), kantata.close(), huddle.close()]).then(() => process.exit(0));
});
