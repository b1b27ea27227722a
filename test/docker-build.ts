/**
 * Repeats a Dockerfile's steps on this machine, without Docker (CI has no Docker engine): the build
 * context from the working tree filtered by .dockerignore, then each stage's COPY and RUN in order, in a
 * directory standing for the stage's WORKDIR. It understands only the instructions our Dockerfile uses and
 * fails on any other, so the Dockerfile cannot grow a step this check silently skips.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions in order, continuation lines joined; comments and blank lines dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n');
  return logical
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] as string;
    if (char === '*' && glob[index + 1] === '*') {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a path (relative, with `/`) is in the build context, by .dockerignore's rules: the last rule
 * matching the path or one of its parent directories decides; `!` puts back what an earlier rule left out.
 */
export function dockerignoreFilter(rules: string): (path: string) => boolean {
  const parsed = rules
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      return { include, pattern: globToRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_part, index) => parts.slice(0, index + 1).join('/'));
    let included = true;
    for (const rule of parsed) if (prefixes.some((prefix) => rule.pattern.test(prefix))) included = rule.include;
    return included;
  };
}

/**
 * Copies the build context of `root` into `contextDir`: the working tree's files that git does not
 * ignore (tracked or new), less what .dockerignore leaves out. Docker would also send git-ignored files
 * that .dockerignore lets through; ours is an allow-list of sources, which git never ignores.
 */
export function copyBuildContext(root: string, contextDir: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0');
  const inContext = dockerignoreFilter(existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '');
  const files = listed.filter((path) => path !== '' && existsSync(join(root, path)) && inContext(path));
  for (const path of files) {
    mkdirSync(dirname(join(contextDir, path)), { recursive: true });
    cpSync(join(root, path), join(contextDir, path), { preserveTimestamps: true });
  }
  return files;
}

/** What a stage leaves behind: its files (in `dir`, standing for WORKDIR) and its image settings. */
export interface Stage {
  readonly name: string;
  readonly dir: string;
  readonly env: Record<string, string>;
  user?: string;
  stopSignal?: string;
  readonly exposed: number[];
  healthcheck?: string[];
  cmd?: string[];
}

/** A RUN step this check does not repeat as written, why, and what it does instead. */
export interface RunSubstitute {
  readonly matches: RegExp;
  readonly why: string;
  run(stage: Stage): void;
}

export interface BuildOptions {
  readonly dockerfile: string;
  readonly contextDir: string;
  /** Each stage gets a directory `<workDir>/<stage name>`. */
  readonly workDir: string;
  readonly substitutes: readonly RunSubstitute[];
  /** Runs a RUN command with `sh -c` in the stage's directory. */
  runCommand(command: string, stage: Stage): void;
  /** Told each step as it happens, for a readable log. */
  onStep?(step: string): void;
}

/** The image's paths are under this WORKDIR; the check maps it onto each stage's directory. */
export const IMAGE_WORKDIR = '/app';

function exactlyOne<T>(values: readonly T[], what: string): T {
  if (values.length !== 1) throw new Error(`expected one ${what}, got ${values.length}`);
  return values[0] as T;
}

function copyInto(source: string, destination: string, destinationIsDirectory: boolean): void {
  if (statSync(source).isDirectory()) {
    // Docker copies a directory's contents, not the directory itself. `cp -a` keeps node_modules/.bin's
    // relative links relative (Node's cpSync would point them back at the source).
    mkdirSync(destination, { recursive: true });
    execFileSync('cp', ['-a', `${source}/.`, destination]);
  } else {
    const target = destinationIsDirectory ? join(destination, basename(source)) : destination;
    mkdirSync(dirname(target), { recursive: true });
    execFileSync('cp', ['-a', source, target]);
  }
}

function parseJsonArray(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`${what} must be in exec form (a JSON array of strings)`);
  return parsed;
}

/** Runs the Dockerfile's stages in order; returns them by name. */
export function buildWithoutDocker(options: BuildOptions): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  const current = (keyword: string): Stage => {
    if (!stage) throw new Error(`${keyword} before FROM`);
    return stage;
  };
  const inStage = (target: Stage, imagePath: string): string => {
    if (imagePath === IMAGE_WORKDIR || imagePath.startsWith(`${IMAGE_WORKDIR}/`)) return join(target.dir, imagePath.slice(IMAGE_WORKDIR.length));
    if (imagePath.startsWith('/')) throw new Error(`${imagePath} is outside ${IMAGE_WORKDIR}: this check cannot follow it`);
    return join(target.dir, imagePath);
  };

  for (const { keyword, args } of parseDockerfile(options.dockerfile)) {
    options.onStep?.(`${keyword} ${args}`);
    switch (keyword) {
      case 'ARG':
        break; // build arguments choose the base image, which this machine's Node stands in for
      case 'FROM': {
        const name = /\s+AS\s+(\S+)$/i.exec(args)?.[1];
        if (!name) throw new Error(`FROM needs a stage name: ${args}`);
        stage = { name, dir: join(options.workDir, name), env: {}, exposed: [] };
        mkdirSync(stage.dir, { recursive: true });
        stages.set(name, stage);
        break;
      }
      case 'ENV': {
        for (const pair of args.split(/\s+/)) {
          const [key, value] = pair.split('=');
          if (!key || value === undefined) throw new Error(`ENV must be KEY=value pairs: ${args}`);
          current(keyword).env[key] = value;
        }
        break;
      }
      case 'WORKDIR':
        if (args !== IMAGE_WORKDIR) throw new Error(`WORKDIR must be ${IMAGE_WORKDIR}, the path this check maps onto each stage's directory`);
        break;
      case 'COPY': {
        const target = current(keyword);
        const words = args.split(/\s+/);
        const flags = words.filter((word) => word.startsWith('--'));
        const [destination, ...sourcesReversed] = words.filter((word) => !word.startsWith('--')).reverse();
        const sources = sourcesReversed.reverse();
        if (!destination || sources.length === 0) throw new Error(`COPY needs sources and a destination: ${args}`);
        const fromName = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
        const unknown = flags.filter((flag) => !flag.startsWith('--from=') && !flag.startsWith('--chown='));
        if (unknown.length > 0) throw new Error(`COPY flags this check does not know: ${unknown.join(' ')}`);
        const from = fromName === undefined ? undefined : stages.get(fromName);
        if (fromName !== undefined && !from) throw new Error(`COPY --from=${fromName}: no such stage`);
        const destinationIsDirectory = destination.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          const sourcePath = from ? inStage(from, source) : join(options.contextDir, source);
          if (!existsSync(sourcePath)) throw new Error(`COPY ${source}: not in ${from ? `stage ${from.name}` : 'the build context (.dockerignore?)'}`);
          copyInto(sourcePath, inStage(target, destination), destinationIsDirectory);
        }
        break;
      }
      case 'RUN': {
        const target = current(keyword);
        const substitute = options.substitutes.find((candidate) => candidate.matches.test(args));
        if (substitute) {
          options.onStep?.(`  instead: ${substitute.why}`);
          substitute.run(target);
        } else options.runCommand(args, target);
        break;
      }
      case 'USER':
        current(keyword).user = args;
        break;
      case 'EXPOSE':
        current(keyword).exposed.push(...args.split(/\s+/).map(Number));
        break;
      case 'STOPSIGNAL':
        current(keyword).stopSignal = args;
        break;
      case 'HEALTHCHECK': {
        const command = exactlyOne(/\bCMD\s+(\[.*\])$/.exec(args)?.slice(1) ?? [], 'HEALTHCHECK CMD in exec form');
        current(keyword).healthcheck = parseJsonArray(command, 'HEALTHCHECK CMD');
        break;
      }
      case 'CMD':
        current(keyword).cmd = parseJsonArray(args, 'CMD');
        break;
      default:
        throw new Error(`${keyword}: an instruction this check does not know; teach test/docker-build.ts what it means here`);
    }
  }
  return stages;
}

/** An image path of the final stage (CMD's program) as a path on this machine. */
export function hostPath(stage: Stage, imagePath: string): string {
  return imagePath.startsWith(`${IMAGE_WORKDIR}/`) ? join(stage.dir, imagePath.slice(IMAGE_WORKDIR.length)) : imagePath;
}
