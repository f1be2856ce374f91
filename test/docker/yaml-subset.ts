/**
 * A stop-gap reader for the YAML that docker-compose.yml uses, because no YAML library is
 * installed: block mappings, block sequences, plain and quoted scalars, literal block scalars (`|`)
 * and comments. Every scalar stays a string. Anything else (flow collections, anchors and aliases,
 * tags, folded scalars, several documents) is refused with an error naming the line, so the compose
 * file cannot silently be read wrong. Replace it with a YAML library once one is a dependency.
 */

export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

export class YamlSubsetError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message} (test/docker/yaml-subset.ts reads block mappings, block sequences, plain or quoted scalars and '|' blocks only)`);
    this.name = 'YamlSubsetError';
  }
}

export function parseYamlSubset(text: string): YamlValue {
  const raw = text.split(/\r?\n/);
  const lines: Line[] = [];
  raw.forEach((content, index) => {
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (content.includes('\t')) throw new YamlSubsetError(index + 1, 'tabs are not allowed in YAML indentation');
    if (trimmed === '---' || trimmed === '...') throw new YamlSubsetError(index + 1, 'several documents');
    lines.push({ number: index + 1, indent: content.length - content.trimStart().length, text: trimmed });
  });
  const reader = new Reader(raw, lines);
  const value = reader.block(0);
  if (!reader.done) throw new YamlSubsetError(reader.peek().number, `unexpected '${reader.peek().text}'`);
  return value;
}

class Reader {
  private at = 0;

  constructor(
    private readonly raw: readonly string[],
    private readonly lines: readonly Line[],
  ) {}

  get done(): boolean {
    return this.at >= this.lines.length;
  }

  peek(): Line {
    return this.lines[this.at] as Line;
  }

  /** The mapping or sequence whose lines start at exactly `indent`. */
  block(indent: number): YamlValue {
    const first = this.peek();
    if (first.indent !== indent) throw new YamlSubsetError(first.number, `expected indentation ${indent}, found ${first.indent}`);
    return first.text.startsWith('- ') || first.text === '-' ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    while (!this.done && this.peek().indent === indent && this.peek().text.startsWith('-')) {
      const line = this.lines[this.at++] as Line;
      const rest = line.text.slice(1).trim();
      if (rest === '' || /^[^'"]*:(\s|$)/.test(rest)) throw new YamlSubsetError(line.number, 'only scalars may be sequence items');
      items.push(scalar(rest, line.number));
    }
    return items;
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const entries: { [key: string]: YamlValue } = {};
    while (!this.done && this.peek().indent === indent) {
      const line = this.lines[this.at++] as Line;
      const match = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line.text);
      if (match === null) throw new YamlSubsetError(line.number, `expected 'key: value' but found '${line.text}'`);
      const key = match[1] as string;
      const rest = match[2]?.trim() ?? '';
      if (key in entries) throw new YamlSubsetError(line.number, `duplicate key '${key}'`);
      if (rest === '|') entries[key] = this.literal(line, indent);
      else if (rest !== '' && !rest.startsWith('#')) entries[key] = scalar(rest, line.number);
      else if (!this.done && this.peek().indent > indent) entries[key] = this.block(this.peek().indent);
      else if (!this.done && this.peek().indent === indent && this.peek().text.startsWith('- ')) entries[key] = this.sequence(indent);
      else entries[key] = '';
    }
    if (!this.done && this.peek().indent > indent) throw new YamlSubsetError(this.peek().number, 'unexpected indentation');
    return entries;
  }

  /** A `|` block: the raw lines indented deeper than its key, their common indentation removed, one final newline. */
  private literal(keyLine: Line, indent: number): string {
    const body: string[] = [];
    let index = keyLine.number; // the raw line after the key (numbers are 1-based)
    while (index < this.raw.length) {
      const content = this.raw[index] as string;
      if (content.trim() !== '' && content.length - content.trimStart().length <= indent) break;
      body.push(content);
      index++;
    }
    while (body.length > 0 && (body[body.length - 1] as string).trim() === '') body.pop();
    if (body.length === 0) throw new YamlSubsetError(keyLine.number, "an empty '|' block");
    const depth = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
    while (!this.done && this.peek().number <= keyLine.number + body.length) this.at++;
    return `${body.map((l) => l.slice(depth)).join('\n')}\n`;
  }
}

function scalar(text: string, line: number): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    if (end < 0) throw new YamlSubsetError(line, `unterminated ${quote} string`);
    if (text.slice(end + 1).trim() !== '' && !text.slice(end + 1).trim().startsWith('#')) throw new YamlSubsetError(line, `text after the closing ${quote}`);
    const inner = text.slice(1, end);
    if (quote === '"' && inner.includes('\\')) throw new YamlSubsetError(line, 'escape sequences in a "" string');
    return inner;
  }
  if (/^[[{&*!>|%@`]/.test(text)) throw new YamlSubsetError(line, `'${text}' needs a full YAML parser (flow collection, anchor, alias, tag or folded block)`);
  const comment = text.search(/\s#/);
  return (comment < 0 ? text : text.slice(0, comment)).trim();
}
