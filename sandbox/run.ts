/** `npm run sandbox`: the bot with local stand-ins for Kantata OX and Huddle; see sandbox.ts. */
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../src/config.js';
import { startSandbox } from './sandbox.js';

loadDotenv({ quiet: true });
const print = (line: string) => process.stdout.write(`${line}\n`);

try {
  const sandbox = await startSandbox(process.env, print);
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    console.error('The sandbox needs the Slack settings of README.md (SLACK_BOT_TOKEN and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET); it supplies Kantata and Huddle itself.');
  } else {
    console.error(`sandbox could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
