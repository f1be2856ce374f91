/** What the checkpoint tests read back. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed part files of a writeAsText directory, one record per line; hidden files are not output. */
export function committedRecords(directory: string): unknown[] {
  if (!existsSync(directory)) return [];
  const records: unknown[] = [];
  for (const name of readdirSync(directory).sort()) {
    if (name.startsWith('.')) continue;
    for (const line of readFileSync(join(directory, name), 'utf8').split('\n')) if (line !== '') records.push(JSON.parse(line));
  }
  return records;
}

