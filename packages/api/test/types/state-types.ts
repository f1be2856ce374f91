/**
 * Compile-time test of Types and TypeOf: `npm run build` (tsc) fails if an inferred type below is
 * not the expected one, or if a call marked @ts-expect-error compiles. Nothing here runs.
 */
import { ListStateDescriptor, MapStateDescriptor, Types, ValueStateDescriptor, type TypeOf } from '../../src/index.js';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

export function stateTypes(): void {
  const Counter = Types.OBJECT({ count: Types.NUMBER, note: Types.OPTIONAL(Types.STRING), tags: Types.LIST(Types.STRING) });
  expectType<Equal<TypeOf<typeof Counter>, { count: number; tags: string[]; note?: string }>>();
  expectType<Equal<TypeOf<typeof Types.BIGINT>, bigint>>();
  expectType<Equal<TypeOf<ReturnType<typeof Types.MAP<string, Date>>>, Map<string, Date>>>();

  // A typed descriptor infers its value type from the type; the default must fit it.
  const counter = new ValueStateDescriptor('counter', Counter, { count: 0, tags: [] });
  expectType<Equal<typeof counter, ValueStateDescriptor<{ count: number; tags: string[]; note?: string }>>>();
  // @ts-expect-error a default that does not fit the type
  new ValueStateDescriptor('counter', Counter, { count: 'zero', tags: [] });
  const seen = new ListStateDescriptor('seen', Types.STRING);
  expectType<Equal<typeof seen, ListStateDescriptor<string>>>();
  const totals = new MapStateDescriptor('totals', Types.STRING, Types.NUMBER);
  expectType<Equal<typeof totals, MapStateDescriptor<string, number>>>();

  // Today's untyped forms still work.
  const untyped = new ValueStateDescriptor<number>('n', 0);
  expectType<Equal<typeof untyped, ValueStateDescriptor<number>>>();
  new ListStateDescriptor<string>('l');
  new MapStateDescriptor<string, number>('m');
}
