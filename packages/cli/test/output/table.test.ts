import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFields, formatTable } from '../../src/output/table.js';

describe('formatTable', () => {
  it('makes each column as wide as its widest cell, right-aligning numbers, with no trailing spaces', () => {
    const table = formatTable(
      [{ header: 'NAME' }, { header: 'SLOTS', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', '2', ''],
        ['longer name', '12', 'x'],
      ],
      '  ',
    );
    assert.equal(table, ['  NAME         SLOTS  NOTE', '  a                2', '  longer name     12  x'].join('\n'));
  });

  it('counts a character outside the BMP as one column, not two UTF-16 units', () => {
    assert.equal(formatTable([{ header: 'A' }, { header: 'B' }], [['𝑥', 'y']]), 'A  B\n𝑥  y');
  });
});

describe('formatFields', () => {
  it('aligns values after their labels and keeps the later lines of a value under its first', () => {
    assert.equal(formatFields([['Status', 'RUNNING'], ['Failure', 'Error: boom\nin Map (1/2)']], '  '), ['  Status   RUNNING', '  Failure  Error: boom', '           in Map (1/2)'].join('\n'));
  });
});
