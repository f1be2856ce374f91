/** What the read commands write to stdout: one JSON document for scripts, or text for people. */

/** `value` as one pretty-printed JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Text for people on stdout, ending with a newline. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
