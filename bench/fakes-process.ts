/**
 * The fake Slack, Kantata and Huddle servers in a process of their own, run at the lowest CPU priority:
 * in production those services are on other machines and cost the bot's machine nothing.
 */
import { setPriority } from 'node:os';
import { FakeHuddle } from '../test/fakes/fake-huddle.js';
import { FakeKantata } from '../test/fakes/fake-kantata.js';
import { FakeSlack } from '../test/fakes/fake-slack.js';
import { HUDDLE_TOKEN, KANTATA_TOKEN } from './fakes-process-tokens.js';
import { BOT_TOKEN } from './lib.js';

setPriority(19);
const slack = await FakeSlack.start(BOT_TOKEN);
slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann' });
const kantata = await FakeKantata.start({ token: KANTATA_TOKEN });
const huddle = await FakeHuddle.start({ tokens: [HUDDLE_TOKEN] });
// The fakes keep every request for tests to inspect; a benchmark of thousands of calls should not.
for (const server of [slack.server, kantata.server, huddle.server]) server.requests.push = () => 0;
slack.calls.push = () => 0;
slack.responseUrlPosts.push = () => 0;
kantata.invitations.push = () => 0;
huddle.invitations.push = () => 0;

process.stdout.write(`${JSON.stringify({ slackApiUrl: slack.apiUrl, responseUrl: slack.responseUrl('bench'), kantataUrl: kantata.apiUrl, huddleUrl: huddle.apiUrl })}\n`);
process.on('SIGTERM', () => {
  void Promise.all([slack.close(), kantata.close(), huddle.close()]).then(() => process.exit(0));
});
