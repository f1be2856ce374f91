/**
 * Whether state written by one version of a job can be read by another (Flink's
 * TypeSerializerSchemaCompatibility, for Eddy's state types). Pure functions: the task checks a
 * descriptor against restored state with them, and the client checks a whole job against a
 * checkpoint or savepoint's metadata before it touches a running job.
 *
 * Rules, old type (in the snapshot) against new type (in the code):
 *   - no type on either side, or ANY: compatible (unchecked);
 *   - the same type: compatible;
 *   - an OBJECT that gained an OPTIONAL field: compatible after migration (restored values lack
 *     it, and read as undefined);
 *   - an OBJECT that lost a field: compatible after migration (restored values keep the old
 *     property as they are, and the new code ignores it; it goes away when the code writes a new
 *     value for that key);
 *   - a required field that became optional: compatible after migration;
 *   - a new field that is not optional, an optional field that became required, a field, element,
 *     key or value whose type changed: incompatible, with what changed.
 * Restored values are never rewritten: "migration" means they are used as they are.
 */
import { describeStateType, type StateTypeJson } from '../../types.js';

export type StateCompatibility =
  | { readonly result: 'compatible' }
  | { readonly result: 'compatibleAfterMigration'; readonly changes: readonly string[] }
  | { readonly result: 'incompatible'; readonly problems: readonly string[] };

type FieldJson = StateTypeJson | { readonly optional: StateTypeJson };

function isOptional(field: FieldJson): field is { readonly optional: StateTypeJson } {
  return typeof field === 'object' && 'optional' in field;
}

function category(type: StateTypeJson): string {
  if (typeof type === 'string') return type;
  if ('list' in type) return 'LIST';
  if ('map' in type) return 'MAP';
  return 'OBJECT';
}

/** Compares the type a snapshot recorded with the type the code declares; undefined is unchecked. */
export function compareStateTypes(previous: StateTypeJson | undefined, next: StateTypeJson | undefined): StateCompatibility {
  const changes: string[] = [];
  const problems: string[] = [];
  // Where a part is: a dotted field path inside the nearest object, and what that object is part of.
  const label = (fields: string, context: string): string => (fields !== '' ? `field '${fields}'${context === '' ? '' : ` of ${context}`}` : context === '' ? 'the type' : context);
  const visit = (old: StateTypeJson, now: StateTypeJson, fields: string, context: string): void => {
    if (old === 'ANY' || now === 'ANY') return;
    const here = label(fields, context);
    if (category(old) !== category(now)) {
      problems.push(`${here} was ${describeStateType(old)}, is ${describeStateType(now)}`);
      return;
    }
    if (typeof old === 'string') return;
    const top = fields === '' && context === '';
    if ('list' in old) return visit(old.list, (now as { list: StateTypeJson }).list, '', top ? 'the list element' : `the element of ${here}`);
    if ('map' in old) {
      const [nowKey, nowValue] = (now as { map: readonly [StateTypeJson, StateTypeJson] }).map;
      visit(old.map[0], nowKey, '', top ? 'the map key' : `the map key of ${here}`);
      visit(old.map[1], nowValue, '', top ? 'the map value' : `the map value of ${here}`);
      return;
    }
    const oldFields = old.object;
    const newFields = (now as { object: Record<string, FieldJson> }).object;
    const field = (name: string): string => (fields === '' ? name : `${fields}.${name}`);
    for (const name of Object.keys(newFields).sort()) {
      const nowField = newFields[name] as FieldJson;
      const oldField = oldFields[name];
      const named = label(field(name), context);
      if (oldField === undefined) {
        if (isOptional(nowField)) changes.push(`${named} is new and optional: restored values lack it`);
        else problems.push(`${named} is new and not optional: restored values lack it (make it Types.OPTIONAL)`);
        continue;
      }
      if (isOptional(oldField) && !isOptional(nowField)) problems.push(`${named} was optional, is required: restored values may lack it`);
      else if (!isOptional(oldField) && isOptional(nowField)) changes.push(`${named} was required, is optional`);
      visit(isOptional(oldField) ? oldField.optional : oldField, isOptional(nowField) ? nowField.optional : nowField, field(name), context);
    }
    for (const name of Object.keys(oldFields).sort()) {
      if (!(name in newFields)) changes.push(`${label(field(name), context)} was removed: restored values keep it, and it is ignored`);
    }
  };
  if (previous !== undefined && next !== undefined) visit(previous, next, '', '');
  if (problems.length > 0) return { result: 'incompatible', problems };
  if (changes.length > 0) return { result: 'compatibleAfterMigration', changes };
  return { result: 'compatible' };
}

/** A state as a snapshot records it or as code declares it. */
export interface StateMetaInfo {
  readonly name: string;
  /** 'value', 'list' or 'map' for keyed state; 'operator-list' or 'union-list' for operator state. */
  readonly kind: string;
  /** The canonical form of its type; undefined: unchecked. */
  readonly type: StateTypeJson | undefined;
}

/**
 * Checks one state: the kind must be the same, the type compatible. Returns the problems, each a
 * sentence naming the state and the operator ("state 'count' of operator 'counter': field 'n' was
 * NUMBER, is STRING"), and the migrations that will happen.
 */
export function checkStateCompatibility(operatorUid: string, previous: StateMetaInfo, next: StateMetaInfo): { readonly problems: string[]; readonly changes: string[] } {
  const subject = `state '${next.name}' of operator '${operatorUid}'`;
  if (previous.kind !== next.kind) return { problems: [`${subject}: kind changed from ${previous.kind} to ${next.kind}`], changes: [] };
  const result = compareStateTypes(previous.type, next.type);
  if (result.result === 'incompatible') return { problems: result.problems.map((problem) => `${subject}: ${problem}`), changes: [] };
  if (result.result === 'compatibleAfterMigration') return { problems: [], changes: result.changes.map((change) => `${subject}: ${change}`) };
  return { problems: [], changes: [] };
}

/** A restored state does not fit the code that asks for it; the message names the state, the operator and what changed. */
export class StateMigrationError extends Error {
  override readonly name = 'StateMigrationError';

  /** From the problems checkStateCompatibility found, with what to do. */
  static of(problems: readonly string[]): StateMigrationError {
    return new StateMigrationError(
      `The restored ${problems.join('; ')}. The state cannot be read by this code: restore with code whose state types fit, or give the state a new name (its old state is then not restored).`,
    );
  }
}
