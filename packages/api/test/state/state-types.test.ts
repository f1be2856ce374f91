import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListStateDescriptor, MapStateDescriptor, Types, ValueStateDescriptor } from '../../src/index.js';
import { describeStateType, parseStateTypeJson } from '../../src/types.js';
import { checkStateCompatibility, compareStateTypes } from '../../src/internal/state/state-compatibility.js';

const Counter = Types.OBJECT({ count: Types.NUMBER, label: Types.STRING });

describe('state types', () => {
  it('have a canonical JSON form with sorted fields, that reads back as it was written', () => {
    const type = Types.OBJECT({ z: Types.NUMBER, a: Types.OPTIONAL(Types.LIST(Types.DATE)), m: Types.MAP(Types.STRING, Types.BIGINT) });
    const text = JSON.stringify(type);
    assert.equal(text, '{"object":{"a":{"optional":{"list":"DATE"}},"m":{"map":["STRING","BIGINT"]},"z":"NUMBER"}}');
    assert.deepEqual(parseStateTypeJson(JSON.parse(text), 'test'), type.toJSON());
    assert.equal(String(type), 'OBJECT{a?: LIST<DATE>, m: MAP<STRING, BIGINT>, z: NUMBER}');
    assert.equal(describeStateType(Types.LIST(Counter).toJSON()), 'LIST<OBJECT{count: NUMBER, label: STRING}>');
  });

  it('refuses a form this version cannot read, saying where it was', () => {
    assert.throws(() => parseStateTypeJson('DECIMAL', 'the header of f'), /the header of f holds a state type this version of Eddy cannot read \(unknown type "DECIMAL"\)/);
    assert.throws(() => parseStateTypeJson({ tuple: ['NUMBER'] }, 'x'), /unknown type "tuple"/);
    assert.throws(() => parseStateTypeJson({ map: ['NUMBER'] }, 'x'), /a map type needs \[key, value\]/);
  });

  it('are refused where they make no sense, with what to write instead', () => {
    assert.throws(() => Types.LIST(Types.OPTIONAL(Types.NUMBER) as never), /Types.OPTIONAL\(\.\.\.\), which only marks a field of Types.OBJECT/);
    assert.throws(() => Types.OBJECT({ n: 'NUMBER' as never }), /field 'n' of Types.OBJECT must be a state type from Types/);
    assert.throws(() => new MapStateDescriptor('m', Types.STRING, undefined), /map state 'm' needs both a key type and a value type, or neither/);
  });

  it('are what descriptors record per key: a value, a LIST of elements, a MAP of keys and values; none when untyped', () => {
    assert.deepEqual(new ValueStateDescriptor('v', Types.NUMBER, 0).stateType(), 'NUMBER');
    assert.equal(new ValueStateDescriptor('v', Types.NUMBER, 7).defaultValue, 7);
    assert.deepEqual(new ListStateDescriptor('l', Types.STRING).stateType(), { list: 'STRING' });
    assert.deepEqual(new MapStateDescriptor('m', Types.STRING, Counter).stateType(), { map: ['STRING', Counter.toJSON()] });
    const untyped = new ValueStateDescriptor<{ n: number }>('u', { n: 1 });
    assert.equal(untyped.stateType(), undefined);
    assert.deepEqual(untyped.defaultValue, { n: 1 }, 'the old (name, default) form keeps its default');
  });
});

describe('state type compatibility', () => {
  it('finds the same type, ANY and an untyped side compatible', () => {
    assert.deepEqual(compareStateTypes(Counter.toJSON(), Types.OBJECT({ label: Types.STRING, count: Types.NUMBER }).toJSON()), { result: 'compatible' });
    assert.deepEqual(compareStateTypes(Counter.toJSON(), Types.ANY.toJSON()), { result: 'compatible' });
    assert.deepEqual(compareStateTypes(undefined, Counter.toJSON()), { result: 'compatible' });
    assert.deepEqual(compareStateTypes(Counter.toJSON(), undefined), { result: 'compatible' });
  });

  it('migrates an object that gained an optional field or lost a field, saying what happens to restored values', () => {
    const grown = Types.OBJECT({ count: Types.NUMBER, label: Types.STRING, note: Types.OPTIONAL(Types.STRING) });
    assert.deepEqual(compareStateTypes(Counter.toJSON(), grown.toJSON()), { result: 'compatibleAfterMigration', changes: ["field 'note' is new and optional: restored values lack it"] });
    assert.deepEqual(compareStateTypes(grown.toJSON(), Counter.toJSON()), { result: 'compatibleAfterMigration', changes: ["field 'note' was removed: restored values keep it, and it is ignored"] });
    const looser = Types.OBJECT({ count: Types.NUMBER, label: Types.OPTIONAL(Types.STRING) });
    assert.deepEqual(compareStateTypes(Counter.toJSON(), looser.toJSON()), { result: 'compatibleAfterMigration', changes: ["field 'label' was required, is optional"] });
  });

  it('refuses a changed field type, a new required field and an optional field made required, naming each', () => {
    const changed = Types.OBJECT({ count: Types.STRING, label: Types.STRING, x: Types.NUMBER });
    assert.deepEqual(compareStateTypes(Counter.toJSON(), changed.toJSON()), {
      result: 'incompatible',
      problems: ["field 'count' was NUMBER, is STRING", "field 'x' is new and not optional: restored values lack it (make it Types.OPTIONAL)"],
    });
    const optional = Types.OBJECT({ n: Types.OPTIONAL(Types.NUMBER) });
    assert.deepEqual(compareStateTypes(optional.toJSON(), Types.OBJECT({ n: Types.NUMBER }).toJSON()), { result: 'incompatible', problems: ["field 'n' was optional, is required: restored values may lack it"] });
  });

  it('names nested places: fields of fields, list elements, map keys and values', () => {
    const nested = (n: typeof Types.NUMBER | typeof Types.STRING) => Types.OBJECT({ inner: Types.OBJECT({ n }), items: Types.LIST(Types.OBJECT({ n })) });
    const result = compareStateTypes(nested(Types.NUMBER).toJSON(), nested(Types.STRING).toJSON());
    assert.deepEqual(result, { result: 'incompatible', problems: ["field 'inner.n' was NUMBER, is STRING", "field 'n' of the element of field 'items' was NUMBER, is STRING"] });
    assert.deepEqual(compareStateTypes(Types.MAP(Types.STRING, Types.NUMBER).toJSON(), Types.MAP(Types.NUMBER, Types.NUMBER).toJSON()), { result: 'incompatible', problems: ['the map key was STRING, is NUMBER'] });
    assert.deepEqual(compareStateTypes(Types.LIST(Types.NUMBER).toJSON(), Types.NUMBER.toJSON()), { result: 'incompatible', problems: ['the type was LIST<NUMBER>, is NUMBER'] });
  });

  it('names the state and the operator, and refuses a changed kind', () => {
    const before = { name: 'count', kind: 'value', type: Counter.toJSON() };
    assert.deepEqual(checkStateCompatibility('counter', before, { ...before, type: Types.OBJECT({ count: Types.STRING, label: Types.STRING }).toJSON() }), {
      problems: ["state 'count' of operator 'counter': field 'count' was NUMBER, is STRING"],
      changes: [],
    });
    assert.deepEqual(checkStateCompatibility('counter', before, { ...before, kind: 'map' }), { problems: ["state 'count' of operator 'counter': kind changed from value to map"], changes: [] });
  });
});
