/**
 * `npm run bench`: ack latency against a bare Bolt app, fan-out under an unknown rate limit, memory over
 * 10,000 commands, and start-up time. Prints a table and writes the same figures as JSON.
 * `npm run bench -- --quick`: a small smoke run that checks the benchmark itself still works.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../src/config.js';
import { createEngine } from '../src/engine.js';
import { validateInvitationDraft } from '../src/invitations/validation.js';
import { createLogger } from '../src/logger.js';
import { FakeKantata } from '../test/fakes/fake-kantata.js';
import { HUDDLE_TOKEN, KANTATA_TOKEN } from './fakes-process-tokens.js';
import { BOT_TOKEN, commandBody, freePort, median, percentile, round, runLoad, SIGNING_SECRET, startProcess } from './lib.js';

const quick = process.argv.includes('--quick');
/** `--only=memory` (or ack, fanout, startup) runs one section, for investigating; results are not written. */
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice(7);
const enabled = (section: string) => !only || only === section;
const here = dirname(fileURLToPath(import.meta.url));
const botScript = join(here, '..', 'src', 'index.js');
const bareScript = join(here, 'bare-bolt-app.js');
const resultsFile = join(here, '..', '..', 'bench', quick ? 'results-quick.json' : 'results.json');

const settings = quick
  ? { requestsPerLevel: 40, warmup: 20, rounds: 1, levels: [1, 10], fanOut: [{ rate: 50, invitees: 60, runs: 1 }], memory: [200, 1000], startupRuns: 1 }
  : { requestsPerLevel: 1500, warmup: 300, rounds: 3, levels: [1, 10, 50], fanOut: [{ rate: 50, invitees: 500, runs: 3 }, { rate: 5, invitees: 500, runs: 1 }], memory: [1000, 10_000], startupRuns: 5 };

const silent = createLogger({ level: 'silent', secrets: [] });

interface Fakes {
  readonly slackApiUrl: string;
  readonly responseUrl: string;
  readonly kantataUrl: string;
  readonly huddleUrl: string;
  close(): Promise<void>;
}

async function startFakes(): Promise<Fakes> {
  const child = spawn(process.execPath, [join(here, 'fakes-process.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const urls = JSON.parse(line) as Omit<Fakes, 'close'>;
  return {
    ...urls,
    close: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function botEnv(fakes: Fakes): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fakes.slackApiUrl,
    KANTATA_API_TOKEN: KANTATA_TOKEN,
    KANTATA_API_URL: fakes.kantataUrl,
    HUDDLE_API_TOKEN: HUDDLE_TOKEN,
    HUDDLE_API_URL: fakes.huddleUrl,
    INVITE_USER_LIMIT: '100000',
    LOG_LEVEL: 'info',
  };
}

const KINDS = ['help', 'inline Kantata', 'inline Huddle', 'modal'] as const;
let personCounter = 0;
/** help, inline Kantata, inline Huddle and modal-opening commands in equal parts, each address new. */
function mixedBodies(count: number, responseUrl: string): string[] {
  return Array.from({ length: count }, (_, i) => {
    personCounter += 1;
    const texts = ['help', `"Person ${personCounter}" <p${personCounter}@acme.com> to kantata:12345 as buyer`, `p${personCounter}@acme.com to huddle:89178`, ''];
    return commandBody(texts[i % texts.length] as string, responseUrl);
  });
}

function stats(latencies: readonly number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

async function ackLatency(fakes: Fakes) {
  const botPort = await freePort();
  const barePort = await freePort();
  const env = botEnv(fakes);
  const bot = await startProcess(botScript, env, botPort);
  const bare = await startProcess(bareScript, env, barePort);
  const { responseUrl } = fakes;
  try {
    await runLoad(botPort, mixedBodies(settings.warmup, responseUrl), 10);
    await runLoad(barePort, mixedBodies(settings.warmup, responseUrl), 10);
    const levels = [];
    for (const concurrency of settings.levels) {
      const rounds: { bot: ReturnType<typeof stats> & { errors: number; over3s: number }; bare: ReturnType<typeof stats> & { errors: number }; botP99ByKind: number[] }[] = [];
      for (let round_ = 0; round_ < settings.rounds; round_ += 1) {
        const bodies = mixedBodies(settings.requestsPerLevel, responseUrl);
        const botRun = await runLoad(botPort, bodies, concurrency);
        await sleep(300);
        const bareRun = await runLoad(barePort, mixedBodies(settings.requestsPerLevel, responseUrl), concurrency);
        await sleep(300);
        rounds.push({
          bot: { ...stats(botRun.latenciesMs), errors: botRun.errors, over3s: botRun.latenciesMs.filter((ms) => ms > 3000).length },
          bare: { ...stats(bareRun.latenciesMs), errors: bareRun.errors },
          botP99ByKind: KINDS.map((_, kind) => stats(botRun.byIndex.filter((ms, i) => i % KINDS.length === kind && !Number.isNaN(ms))).p99),
        });
      }
      const pick = (side: 'bot' | 'bare', key: 'p50' | 'p95' | 'p99' | 'max') => round(median(rounds.map((r) => r[side][key])));
      levels.push({
        concurrency,
        requests: settings.requestsPerLevel,
        rounds: settings.rounds,
        bot: { p50: pick('bot', 'p50'), p95: pick('bot', 'p95'), p99: pick('bot', 'p99'), max: round(Math.max(...rounds.map((r) => r.bot.max))), errors: rounds.reduce((n, r) => n + r.bot.errors, 0), over3000ms: rounds.reduce((n, r) => n + r.bot.over3s, 0) },
        bare: { p50: pick('bare', 'p50'), p95: pick('bare', 'p95'), p99: pick('bare', 'p99'), max: round(Math.max(...rounds.map((r) => r.bare.max))), errors: rounds.reduce((n, r) => n + r.bare.errors, 0) },
        p99Ratio: round(median(rounds.map((r) => r.bot.p99 / r.bare.p99))),
        botP99ByKind: Object.fromEntries(KINDS.map((kind, index) => [kind, round(median(rounds.map((r) => r.botP99ByKind[index] as number)))])),
      });
    }
    return levels;
  } finally {
    await Promise.all([bot.stop(), bare.stop()]);
  }
}

async function fanOut(rate: number, invitees: number) {
  const kantata = await FakeKantata.start({ token: KANTATA_TOKEN, invitesPerSecond: rate });
  const config = parseConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, KANTATA_API_TOKEN: KANTATA_TOKEN, KANTATA_API_URL: kantata.apiUrl });
  const engine = createEngine(config, { logger: silent });
  try {
    const addresses = Array.from({ length: invitees }, (_, i) => `fan${i}@acme.com`);
    const validated = validateInvitationDraft(
      { service: 'kantata', workspaceId: '12345', role: 'buyer', invitees: addresses.map((email, i) => ({ email, fullName: `Fan ${i}` })), requestedBy: { userId: 'U1' } },
      { enabledServices: ['kantata'], maxInvitees: 1000 },
    );
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const started = performance.now();
    const result = await engine.invitations.send(validated.request);
    const seconds = (performance.now() - started) / 1000;
    const invited = kantata.invitations.map((i) => i.email);
    const distinct = new Set(invited);
    const idealSeconds = invitees / rate;
    return {
      rate,
      invitees,
      seconds: round(seconds),
      idealSeconds: round(idealSeconds),
      efficiency: round(idealSeconds / seconds, 3),
      received429: kantata.rateLimited,
      invitedOutcomes: result.outcomes.filter((o) => o.status === 'invited').length,
      lost: addresses.filter((address) => !distinct.has(address)).length,
      duplicated: invited.length - distinct.size,
    };
  } finally {
    await engine.close();
    await kantata.close();
  }
}

async function memory(fakes: Fakes) {
  const port = await freePort();
  const bot = await startProcess(botScript, botEnv(fakes), port);
  const { responseUrl } = fakes;
  const samples: { commands: number; rssMb: number }[] = [];
  let sent = 0;
  let errors = 0;
  try {
    for (const target of settings.memory) {
      const bodies = Array.from({ length: target - sent }, (_, i) => {
        personCounter += 1;
        return commandBody(i % 2 === 0 ? 'help' : `m${personCounter}@acme.com to huddle:89178`, responseUrl);
      });
      for (let start = 0; start < bodies.length; start += 500) {
        const run = await runLoad(port, bodies.slice(start, start + 500), 20);
        errors += run.errors;
        await sleep(50);
      }
      sent = target;
      await sleep(1500);
      samples.push({ commands: target, rssMb: round(bot.rssMb(), 1) });
    }
  } finally {
    await bot.stop();
  }
  const [first, last] = [samples[0], samples.at(-1)];
  return { samples, errors, growthPercent: first && last ? round(((last.rssMb - first.rssMb) / first.rssMb) * 100, 1) : Number.NaN };
}

async function startup(fakes: Fakes) {
  const times: number[] = [];
  for (let run = 0; run < settings.startupRuns; run += 1) {
    const port = await freePort();
    const bot = await startProcess(botScript, botEnv(fakes), port);
    times.push(bot.readyMs);
    await bot.stop();
  }
  return { runs: times.map((ms) => round(ms, 0)), medianMs: round(median(times), 0) };
}

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((cell, i) => String(cell).padStart(widths[i] as number)).join('  ');
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
  const started = Date.now();
  const fakes = await startFakes();
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version };
  try {
    const ack = enabled('ack') ? await ackLatency(fakes) : [];
    const fan = [];
    for (const { rate, invitees, runs } of enabled('fanout') ? settings.fanOut : []) {
      const results = [];
      for (let run = 0; run < runs; run += 1) results.push(await fanOut(rate, invitees));
      const byEfficiency = [...results].sort((a, b) => a.efficiency - b.efficiency);
      fan.push({ ...byEfficiency[Math.floor(byEfficiency.length / 2)]!, runs, efficiencies: results.map((r) => r.efficiency), worstLost: Math.max(...results.map((r) => r.lost)), worstDuplicated: Math.max(...results.map((r) => r.duplicated)) });
    }
    const mem = enabled('memory') ? await memory(fakes) : { samples: [], errors: 0, growthPercent: Number.NaN };
    const start = enabled('startup') ? await startup(fakes) : { runs: [], medianMs: Number.NaN };

    const goals = {
      ackP99RatioAtMost125: ack.every((level) => level.p99Ratio <= 1.25),
      noAckOver3000ms: ack.every((level) => level.bot.over3000ms === 0),
      noAckErrors: ack.every((level) => level.bot.errors === 0 && level.bare.errors === 0),
      fanOutAtLeast90Percent: fan.every((f) => f.efficiency >= 0.9),
      fanOutNoneLostOrDuplicated: fan.every((f) => f.worstLost === 0 && f.worstDuplicated === 0),
      memoryGrowthUnder10Percent: mem.growthPercent < 10,
      memoryUnder150MB: mem.samples.every((s) => s.rssMb < 150),
    };
    const results = { quick, date: new Date().toISOString(), command: quick ? 'npm run bench -- --quick' : 'npm run bench', machine, durationSeconds: round((Date.now() - started) / 1000, 1), ackLatencyMs: ack, fanOut: fan, memory: mem, startup: start, goals };
    if (!only) writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

    console.log(`slack-invite-bot benchmark${quick ? ' (quick smoke run)' : ''}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
    console.log(
      table('Ack latency (ms): bot vs bare Bolt, medians of rounds', ['conc', 'bot p50', 'p95', 'p99', 'max', 'errors', 'bare p50', 'p95', 'p99', 'max', 'p99 ratio'], ack.map((l) => [l.concurrency, l.bot.p50, l.bot.p95, l.bot.p99, l.bot.max, l.bot.errors, l.bare.p50, l.bare.p95, l.bare.p99, l.bare.max, l.p99Ratio])),
    );
    console.log(
      table('Bot ack p99 by kind of request (ms)', ['conc', ...KINDS], ack.map((l) => [l.concurrency, ...KINDS.map((kind) => l.botP99ByKind[kind] ?? Number.NaN)])),
    );
    console.log(
      table('Fan-out to Kantata under an unknown limit (429 above R, no Retry-After)', ['R/s', 'invitees', 'seconds', 'ideal', 'efficiency', '429s', 'lost', 'duplicated', 'runs'], fan.map((f) => [f.rate, f.invitees, f.seconds, f.idealSeconds, f.efficiency, f.received429, f.worstLost, f.worstDuplicated, f.runs])),
    );
    console.log(table('Memory (RSS of the bot process)', ['commands', 'RSS MB'], mem.samples.map((s) => [s.commands, s.rssMb])));
    console.log(`growth: ${mem.growthPercent}%   errors: ${mem.errors}`);
    console.log(`\nStart-up to /healthz 200: median ${start.medianMs} ms (runs: ${start.runs.join(', ')})`);
    console.log(`\nGoals${quick ? ' (a quick run is too small to judge timing goals; only correctness counts)' : ''}: ${Object.entries(goals).map(([name, ok]) => `${ok ? 'PASS' : 'FAIL'} ${name}`).join('\n       ')}`);
    console.log(`\nWritten to ${resultsFile} in ${results.durationSeconds} s`);
    // Correctness is checked in every run; timing goals are reported, never asserted by a quick run.
    const broken = !goals.noAckErrors || !goals.fanOutNoneLostOrDuplicated || mem.errors > 0 || fan.some((f) => f.invitedOutcomes !== f.invitees);
    process.exitCode = broken ? 1 : 0;
  } finally {
    await fakes.close();
  }
}

await main();
