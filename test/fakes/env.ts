/** Slack settings every configuration needs; tests add the services they exercise. */
export const SLACK_TEST_ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test-bot-token-1234',
  SLACK_SIGNING_SECRET: 'test-signing-secret-5678',
} as const;
