/** How print() and writeAsText() show a record: strings as they are, everything else as JSON. */
export function formatRecord(record: unknown): string {
  switch (typeof record) {
    case 'string':
      return record;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
    case 'symbol':
    case 'function':
      return String(record);
    default:
      try {
        return JSON.stringify(record) ?? String(record);
      } catch {
        return String(record);
      }
  }
}
