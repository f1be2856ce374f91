/**
 * Orders and their payments: an interval join of two event-time streams (Flink's
 * KeyedStream.intervalJoin).
 *
 * Two generators play a shop: orders, five per second of event time, up to a second out of order;
 * and payments, one for most orders, made up to 45 seconds after the order (nine orders in ten are
 * paid; some pay late). Both streams are keyed by order id, and
 *   orders.keyBy(o => o.orderId).intervalJoin(payments.keyBy(p => p.orderId)).between(0, 30_000)
 * pairs each order with the payments made within 30 seconds after it. A payment that comes later
 * than that finds no order (its order was dropped from the join's state once the watermark passed
 * order time + 30 s), just as an order never paid produces nothing. The ProcessJoinFunction emits
 *   { orderId: 17, amount: 42.5, paidAfterMs: 12345 }
 * per order paid in time; its timestamp is the payment's (the later of the two).
 *
 * Arguments: [output] [orders]
 *   output   'print' (default) or 'collect' (results sent back to the submitting client)
 *   orders   how many orders, default 1000
 *
 * Run, from the repository root after `npm run build`:
 *   npx eddy run --local examples/interval-join.ts
 */
import { ProcessJoinFunction, WatermarkStrategy, type Collector, type JobMain, type ProcessJoinContext } from '@eddy/api';

export interface Order {
  readonly orderId: number;
  readonly amount: number;
  /** When the order was placed, epoch milliseconds. */
  readonly timestamp: number;
}

export interface Payment {
  readonly orderId: number;
  /** When it was paid, epoch milliseconds. */
  readonly timestamp: number;
}

export interface PaidOrder {
  readonly orderId: number;
  readonly amount: number;
  readonly paidAfterMs: number;
}

const START = Date.UTC(2026, 0, 1);
/** How late an order may arrive in its stream. */
export const ORDER_LATENESS_MS = 1000;
/** How long after its order a payment may come. */
export const MAX_PAYMENT_DELAY_MS = 45_000;
/** Payments within this long after the order join it. */
export const PAYMENT_WINDOW_MS = 30_000;

const hash = (index: number, salt: number): number => {
  const h = Math.imul((index + 1) ^ salt, 0x9e3779b1) >>> 0;
  return Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
};

/** Order `index`: five per second of event time, up to ORDER_LATENESS_MS late in the stream. */
export function order(index: number): Order {
  return { orderId: index, amount: 5 + (hash(index, 1) % 10_000) / 100, timestamp: START + index * 200 - (hash(index, 2) % ORDER_LATENESS_MS) };
}

/** The payment of order `index`, or undefined for the one order in ten that is never paid. */
export function payment(index: number): Payment | undefined {
  if (index % 10 === 9) return undefined;
  return { orderId: index, timestamp: order(index).timestamp + (hash(index, 3) % MAX_PAYMENT_DELAY_MS) };
}

class PaidInTime extends ProcessJoinFunction<Order, Payment, PaidOrder> {
  processElement(placed: Order, paid: Payment, ctx: ProcessJoinContext, out: Collector<PaidOrder>): void {
    out.collect({ orderId: placed.orderId, amount: placed.amount, paidAfterMs: ctx.getRightTimestamp() - ctx.getLeftTimestamp() });
  }
}

const paidOrders: JobMain = (env, args) => {
  const [output = 'print', orders = '1000'] = args;
  if (output !== 'print' && output !== 'collect') throw new Error(`The output must be 'print' or 'collect', got '${output}'`);
  env.setJobName('Orders paid in time').setParallelism(2);

  const placed = env
    .fromGenerator(Number(orders), order)
    .name('Orders')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Order>(ORDER_LATENESS_MS).withTimestampAssigner((o) => o.timestamp));
  const payments = env
    .fromGenerator(Number(orders), payment)
    .name('Payments')
    .flatMap((p): Payment[] => (p === undefined ? [] : [p]))
    // A payment's place in its stream is its order's: it is up to MAX_PAYMENT_DELAY_MS (plus the order's lateness) out of order.
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Payment>(MAX_PAYMENT_DELAY_MS + ORDER_LATENESS_MS).withTimestampAssigner((p) => p.timestamp));

  const joined = placed
    .keyBy((o) => o.orderId)
    .intervalJoin(payments.keyBy((p) => p.orderId))
    .between(0, PAYMENT_WINDOW_MS)
    .process(new PaidInTime())
    .name('Paid in time');

  if (output === 'print') joined.print();
  else joined.collect();
};
export default paidOrders;
