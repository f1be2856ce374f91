/**
 * Just enough of the Dockerfile and .dockerignore formats to check them against the repository:
 * instructions (continuation lines joined, comments dropped), build stages, COPY sources, and
 * whether .dockerignore lets a path into the build context.
 */

export interface Instruction {
  /** Upper-cased: FROM, COPY, RUN, ... */
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((content, index) => {
    const trimmed = content.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) return;
    if (pending === '') startLine = index + 1;
    const continued = trimmed.endsWith('\\');
    pending += `${continued ? trimmed.slice(0, -1) : trimmed} `;
    if (continued) return;
    const [keyword = '', ...rest] = pending.trim().split(/\s+/);
    pending = '';
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: startLine };
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = rest;
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`Dockerfile line ${startLine}: ${instruction.keyword} before the first FROM`);
      stage.instructions.push(instruction);
    }
  });
  return stages;
}

/** The image a stage finally builds on, following `FROM <earlier stage>`. */
export function baseImageOf(stage: Stage, stages: readonly Stage[]): string {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.base);
  return parent === undefined ? stage.base : baseImageOf(parent, stages);
}

export interface Copy {
  /** The stage it copies from (--from), or undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: string[];
  readonly destination: string;
  readonly line: number;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((instruction) => {
      const words = instruction.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '', line: instruction.line };
    });
}

/** An exec-form instruction's JSON array (ENTRYPOINT ["eddy"]), or undefined for the shell form. */
export function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (instruction === undefined || !instruction.args.startsWith('[')) return undefined;
  return JSON.parse(instruction.args) as string[];
}

/**
 * .dockerignore as Docker reads it: rules in order, the last rule that matches a path or one of
 * its parent directories decides; `!` lets a path back in; `*` and `?` stay within one path
 * segment and match dot files too, `**` matches any number of segments.
 */
export class DockerIgnore {
  private readonly rules: { readonly include: boolean; readonly pattern: RegExp }[];

  constructor(text: string) {
    this.rules = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const include = line.startsWith('!');
        const glob = (include ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
        return { include, pattern: globToRegExp(glob) };
      });
  }

  /** Whether `path` (relative to the context, with '/') is left out of the build context. */
  excludes(path: string): boolean {
    const segments = path.split('/');
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of this.rules) if (prefixes.some((prefix) => rule.pattern.test(prefix))) excluded = !rule.include;
    return excluded;
  }
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|\\[\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
