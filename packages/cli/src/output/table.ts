/**
 * Aligned tables for people: each column as wide as its widest cell, two spaces between columns,
 * no trailing spaces. Scripts read `--json` instead, so the layout may change freely.
 */

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned; default left. */
  readonly align?: 'left' | 'right';
}

/** The table as lines joined by '\n' (no final newline); every line starts with `indent`. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = columns.map((column, index) => Math.max(width(column.header), ...rows.map((row) => width(row[index] ?? ''))));
  const line = (cells: readonly string[]): string =>
    indent +
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const padding = ' '.repeat((widths[index] ?? 0) - width(cell));
        return column.align === 'right' ? padding + cell : cell + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n');
}

/** Characters as a terminal counts them, near enough: code points, not UTF-16 units. */
function width(text: string): number {
  return [...text].length;
}

/**
 * Labelled values, the labels in one column: `Status    RUNNING`. A value of several lines keeps
 * its later lines under its first.
 */
export function formatFields(fields: readonly (readonly [label: string, value: string])[], indent = ''): string {
  const labelWidth = Math.max(0, ...fields.map(([label]) => width(label)));
  const continuation = `\n${indent}${' '.repeat(labelWidth + 2)}`;
  return fields.map(([label, value]) => `${indent}${label.padEnd(labelWidth)}  ${value.split('\n').join(continuation)}`.trimEnd()).join('\n');
}
