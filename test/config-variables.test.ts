import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ENV_EXAMPLE_SECTIONS, type ConfigVariable } from '../src/config-variables.js';
import { parseConfig, secretValues, type Env } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const envExample = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
const manifest = readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8');
const listedNames = new Set<string>(CONFIG_VARIABLES.map((variable) => variable.name));

const COLUMNS = ['Variable', 'Required', 'Default', 'Secret', 'Meaning'] as const;
type Column = (typeof COLUMNS)[number];
type TableRow = Record<Column, string>;

/** The README row a variable should have, cell by cell. */
function expectedRow(variable: ConfigVariable): TableRow {
  const fallback = variable.default;
  return {
    Variable: `\`${variable.name}\``,
    Required: variable.required,
    Default: fallback === undefined ? '' : typeof fallback === 'string' ? `\`${fallback}\`` : fallback.description,
    Secret: variable.secret ? 'yes' : 'no',
    Meaning: variable.meaning,
  };
}

function markdownRow(row: TableRow): string {
  return `| ${COLUMNS.map((column) => row[column]).join(' | ')} |`.replace(/ {2}\|/g, ' |');
}

function cells(line: string): string[] {
  return line.replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim());
}

/** The first table under `## Configuration`, with cells keyed by the header's column names. */
function configurationTable(markdown: string): TableRow[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Configuration\n')) ?? '';
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  const [header = '', , ...body] = lines.slice(start, end === -1 ? undefined : end);
  const columns = cells(header);
  return body.map((line) => {
    const values = cells(line);
    return Object.fromEntries(COLUMNS.map((column) => [column, values[columns.indexOf(column)] ?? ''])) as TableRow;
  });
}

interface EnvExampleLine {
  readonly name: string;
  readonly section: string | undefined;
  /** The line as written: `NAME=value` or `# NAME=value`. */
  readonly text: string;
}

/** Every `NAME=…` line of .env.example, set or commented out, with the section it stands in. */
function envExampleLines(text: string): EnvExampleLine[] {
  let section: string | undefined;
  const found: EnvExampleLine[] = [];
  for (const line of text.split('\n')) {
    const header = /^# --- (.+?) ---$/.exec(line)?.[1];
    if (header !== undefined) section = ENV_EXAMPLE_SECTIONS.find((known) => header.startsWith(known));
    const name = /^(?:# ?)?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    if (name !== undefined) found.push({ name, section, text: line });
  }
  return found;
}

function expectedEnvExampleLine(variable: ConfigVariable): Omit<EnvExampleLine, 'name'> {
  const { section, live, value } = variable.envExample;
  const shown = value ?? (typeof variable.default === 'string' ? variable.default : '');
  return { section, text: `${live ? '' : '# '}${variable.name}=${shown}` };
}

describe('the list of configuration variables', () => {
  it('names each variable once, and never shows a secret value as an example or default', () => {
    expect(listedNames.size).toBe(CONFIG_VARIABLES.length);
    const secretsWithValues = CONFIG_VARIABLES.filter((variable) => variable.secret && (variable.default !== undefined || variable.envExample.value !== undefined));
    expect(secretsWithValues.map((variable) => variable.name)).toEqual([]);
  });

  it('gives defaults parseConfig really applies: setting a variable to its default changes nothing', () => {
    // Kantata and Huddle (client credentials) on, and linking for both, so every service setting is read.
    const base = {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sign-1',
      KANTATA_API_TOKEN: 'kt-1',
      HUDDLE_CLIENT_ID: 'cid',
      HUDDLE_CLIENT_SECRET: 'hc-1',
      PUBLIC_URL: 'https://invite-bot.example',
      KANTATA_CLIENT_ID: 'kcid',
      KANTATA_CLIENT_SECRET: 'kc-1',
      TOKEN_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    };
    const withDefaults = CONFIG_VARIABLES.filter((variable) => typeof variable.default === 'string');
    expect(withDefaults.length).toBeGreaterThan(10);
    for (const variable of withDefaults) {
      expect(parseConfig({ ...base, [variable.name]: String(variable.default) }), variable.name).toEqual(parseConfig(base));
    }
  });

  it('marks exactly the variables secretValues scrubs as secret', () => {
    const slack = { SLACK_BOT_TOKEN: 'xoxb-bot-1', SLACK_SIGNING_SECRET: 'signing-1', SLACK_APP_TOKEN: 'xapp-app-1', SLACK_API_URL: 'https://slack.example/api/' };
    // Huddle takes one credential form at a time, hence one configuration per form.
    const configurations: Env[] = [
      { ...slack, KANTATA_API_TOKEN: 'kt-token-1', KANTATA_API_URL: 'https://kantata.example', HUDDLE_API_TOKEN: 'ht-token-1', INVITE_ALLOWED_USERS: 'U1' },
      { ...slack, HUDDLE_CLIENT_ID: 'client-id-1', HUDDLE_CLIENT_SECRET: 'client-secret-1', HUDDLE_TOKEN_URL: 'https://token.example' },
      { ...slack, HUDDLE_USERNAME: 'user-name-1', HUDDLE_PASSWORD: 'password-1', HUDDLE_API_URL: 'https://huddle.example', DATABASE_URL: 'postgres://bot:db%2Fpass-1@db.example:5432/bot' },
      {
        ...slack,
        PUBLIC_URL: 'https://invite-bot.example',
        KANTATA_CLIENT_ID: 'kantata-client-1',
        KANTATA_CLIENT_SECRET: 'kantata-secret-1',
        HUDDLE_CLIENT_ID: 'huddle-client-1',
        TOKEN_ENCRYPTION_KEY: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
        INVITE_ADMINS: 'U1',
      },
    ];
    const covered = new Set(configurations.flatMap((env) => Object.keys(env)));
    const uncoveredSecrets = CONFIG_VARIABLES.filter((variable) => variable.secret && !covered.has(variable.name));
    expect(uncoveredSecrets.map((variable) => variable.name), 'set these secrets in one of the configurations above').toEqual([]);

    for (const env of configurations) {
      const scrubbed = secretValues(parseConfig(env));
      for (const variable of CONFIG_VARIABLES.filter((listed) => env[listed.name] !== undefined)) {
        expect({ name: variable.name, scrubbed: scrubbed.includes(env[variable.name] ?? '') }).toEqual({ name: variable.name, scrubbed: variable.secret });
      }
    }
    // A driver's error may quote the database password alone, as written or decoded.
    expect(secretValues(parseConfig(configurations[2] ?? {}))).toEqual(expect.arrayContaining(['db%2Fpass-1', 'db/pass-1']));
  });
});

describe("README's Configuration table", () => {
  const rows = configurationTable(readme);

  it('has one row per listed variable, and no other', () => {
    const rowNames = rows.map((row) => /^`([A-Z][A-Z0-9_]*)`$/.exec(row.Variable)?.[1] ?? row.Variable);
    const missing = CONFIG_VARIABLES.filter((variable) => !rowNames.includes(variable.name));
    expect(missing.map((variable) => markdownRow(expectedRow(variable))), 'add these rows to the table').toEqual([]);
    expect(rowNames.filter((name) => !listedNames.has(name)), 'rows naming no variable of src/config-variables.ts (one variable per row)').toEqual([]);
    expect(rowNames.filter((name, index) => rowNames.indexOf(name) !== index), 'rows naming a variable again').toEqual([]);
  });

  it('says for each variable what the list says: required, default, secret, meaning', () => {
    const documented = CONFIG_VARIABLES.filter((variable) => rows.some((row) => row.Variable === `\`${variable.name}\``));
    const written = documented.map((variable) => markdownRow(rows.find((row) => row.Variable === `\`${variable.name}\``) ?? expectedRow(variable)));
    expect(written).toEqual(documented.map((variable) => markdownRow(expectedRow(variable))));
  });
});

describe('.env.example', () => {
  const lines = envExampleLines(envExample);

  it('has a line for every listed variable, set or commented out, in its section', () => {
    const written = CONFIG_VARIABLES.map((variable) => ({
      name: variable.name,
      lines: lines.filter((line) => line.name === variable.name).map(({ section, text }) => ({ section, text })),
    }));
    expect(written).toEqual(CONFIG_VARIABLES.map((variable) => ({ name: variable.name, lines: [expectedEnvExampleLine(variable)] })));
  });

  it('mentions no variable the list does not know, not even in a comment', () => {
    const mentioned = [...lines.map((line) => line.name), ...(envExample.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? [])];
    expect([...new Set(mentioned)].filter((name) => !listedNames.has(name))).toEqual([]);
  });

  it('sets up Socket Mode first, as manifest.yml does', () => {
    expect(manifest).toMatch(/^\s*socket_mode_enabled: true$/m);
    const live = lines.filter((line) => !line.text.startsWith('#')).map((line) => line.name);
    expect(live).toContain('SLACK_APP_TOKEN');
    expect(live).not.toContain('SLACK_SIGNING_SECRET');
  });
});
