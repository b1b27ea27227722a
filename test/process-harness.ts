/**
 * Starting the bot the way a supervisor does (one command, one pid), signalling that pid, and finding out
 * from /proc which processes are left. Linux only, like the machines the bot is deployed on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { request } from 'undici';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, arguments separated by spaces. */
  readonly command: string;
  /** The working directory, when this user may read it. */
  readonly cwd: string | undefined;
}

function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined; // the process ended while we looked, or is not ours to inspect
  }
}

/** Every live process (zombies are dead: they only wait to be reaped, and not all init processes do). */
export function liveProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrUndefined(() => readFileSync(`/proc/${entry}/stat`, 'utf8'));
    if (stat === undefined) continue;
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    processes.push({
      pid: Number(entry),
      ppid: Number(ppid),
      command: (readOrUndefined(() => readFileSync(`/proc/${entry}/cmdline`, 'utf8')) ?? '').split('\0').join(' ').trim(),
      cwd: readOrUndefined(() => readlinkSync(`/proc/${entry}/cwd`)),
    });
  }
  return processes;
}

/** `pid` and every process below it. */
export function processTree(pid: number): ProcessInfo[] {
  const all = liveProcesses();
  const tree = all.filter((candidate) => candidate.pid === pid);
  for (let index = 0; index < tree.length; index += 1) {
    const parent = tree[index] as ProcessInfo;
    tree.push(...all.filter((candidate) => candidate.ppid === parent.pid));
  }
  return tree;
}

/**
 * Processes that belong to a bot started in `dir` (a directory private to one test): working there, or
 * naming it on their command line. Orphans are found too, whoever their parent became.
 */
export function processesIn(dir: string): ProcessInfo[] {
  const inside = (path: string | undefined) => path !== undefined && (path === dir || path.startsWith(`${dir}/`));
  return liveProcesses().filter((candidate) => candidate.pid !== process.pid && (inside(candidate.cwd) || candidate.command.includes(`${dir}/`)));
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningBot {
  readonly child: ChildProcess;
  /** The pid the command gave: what systemd, Docker or Kubernetes would signal. */
  readonly pid: number;
  readonly port: number;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<Exit>;
  /** Stops whatever is left of it at once (after a failed test). */
  kill(): void;
}

/**
 * Runs `command` in its own process group, as a service manager would, and resolves once the bot logged
 * `"event":"started"` with the port it listens on.
 */
export async function startBot(command: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; startTimeoutMs: number }): Promise<RunningBot> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const kill = () => {
    for (const leftover of [...processTree(pid), ...processesIn(options.cwd)]) readOrUndefined(() => process.kill(leftover.pid, 'SIGKILL'));
  };
  const deadline = Date.now() + options.startTimeoutMs;
  for (;;) {
    const started = output.split('\n').find((line) => line.includes('"event":"started"'));
    if (started) return { child, pid, port: (JSON.parse(started) as { port: number }).port, output: () => output, exited, kill };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`the bot did not start (${command} ${args.join(' ')}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function getStatus(port: number, path: string): Promise<number> {
  const response = await request(`http://127.0.0.1:${port}${path}`);
  await response.body.text();
  return response.statusCode;
}

/** Resolves with the exit, or rejects after `ms` (the caller then kills what is left). */
export async function within(exited: Promise<Exit>, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms)));
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Environment for a child: nothing from the developer's shell but what finding node and npm needs. The
 * PATH loses every node_modules/.bin that `npm test` put on it, so a production install cannot borrow the
 * checkout's dev tools (tsc) without anyone noticing.
 */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const path = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '' && !entry.includes('node_modules'))];
  return {
    PATH: path.join(delimiter),
    // npm reads its configuration and cache under HOME.
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    npm_config_update_notifier: 'false',
    ...extra,
  };
}
