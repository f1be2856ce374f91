import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { silentLogger } from '@eddy/common';
import { RpcTimeoutError, RpcUnreachableError, RemoteHandlerError } from '@eddy/rpc';

import { DefaultHeartbeatManager, type HeartbeatTimer } from '../../src/heartbeat/heartbeat-manager.js';

/**
 * The owning endpoint's mailbox and timers, driven by hand: a fake clock, a task queue standing in
 * for runAsync, and timers standing in for scheduleRunAsync that fire only when the test advances
 * the clock. Nothing here waits on real time.
 */
interface FakeTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

class FakeMainThread {
  now = 0;
  readonly #queue: (() => void)[] = [];
  readonly #timers: FakeTimer[] = [];
  #seq = 0;

  readonly runInMainThread = (fn: () => void): void => {
    this.#queue.push(fn);
  };

  readonly scheduleInMainThread = (fn: () => void, delayMs: number): HeartbeatTimer => {
    const timer: FakeTimer = { dueAt: this.now + delayMs, seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  };

  /** Timers that are scheduled and not cancelled. */
  pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Lets settled promises hand their results over, then runs queued tasks until none is left. */
  async drain(): Promise<void> {
    for (;;) {
      await nextTurn();
      const task = this.#queue.shift();
      if (task === undefined) return;
      task();
    }
  }

  /** Runs the timers that are due now, earliest first, without running queued tasks in between. */
  fireDueTimers(): void {
    for (let timer = this.#nextDue(this.now); timer !== undefined; timer = this.#nextDue(this.now)) {
      timer.cancelled = true;
      timer.fn();
    }
  }

  /** Moves the clock forward by `ms`, firing each timer at its due time and draining after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await this.drain();
    for (let timer = this.#nextDue(end); timer !== undefined; timer = this.#nextDue(end)) {
      this.now = Math.max(this.now, timer.dueAt);
      timer.cancelled = true;
      timer.fn();
      await this.drain();
    }
    this.now = end;
  }

  /** Moves the clock without firing anything, as when this process's event loop is blocked. */
  stall(ms: number): void {
    this.now += ms;
  }

  #nextDue(limit: number): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.cancelled || timer.dueAt > limit) continue;
      if (next === undefined || timer.dueAt < next.dueAt || (timer.dueAt === next.dueAt && timer.seq < next.seq)) next = timer;
    }
    return next;
  }
}

type Behaviour = 'answer' | 'hang' | 'unreachable' | 'timeout' | 'handler-error';

interface SlotReport {
  readonly freeSlots: number;
}

function unreachable(targetId: string): RpcUnreachableError {
  return new RpcUnreachableError({
    method: 'TaskExecutorGateway.heartbeatFromJobManager',
    address: `${targetId}:6124`,
    cause: 'connection refused',
    detail: 'connect ECONNREFUSED',
  });
}

/** A manager monitoring TaskManagers whose answers the test controls per target. */
function harness(overrides: { rpcFailureThreshold?: number; random?: () => number } = {}) {
  const main = new FakeMainThread();
  const behaviour = new Map<string, Behaviour>();
  /** Outcomes for the next sends to a target, one per send, before `behaviour` applies again. */
  const scripts = new Map<string, Behaviour[]>();
  const sends: { targetId: string; at: number; resolve: (payload: SlotReport) => void }[] = [];
  const payloads: { targetId: string; payload: SlotReport; at: number }[] = [];
  const lost: { targetId: string; reason: string; at: number }[] = [];
  const manager = new DefaultHeartbeatManager<SlotReport>({
    name: 'TaskManager',
    intervalMs: 1_000,
    timeoutMs: 10_000,
    rpcFailureThreshold: overrides.rpcFailureThreshold ?? 2,
    logger: silentLogger(),
    runInMainThread: main.runInMainThread,
    scheduleInMainThread: main.scheduleInMainThread,
    now: () => main.now,
    // The top of the jitter range: sooner heartbeats go out 200 ms after an unreachable failure.
    random: overrides.random ?? (() => 0.999999),
    sendHeartbeat: (targetId) =>
      new Promise<SlotReport>((resolve, reject) => {
        sends.push({ targetId, at: main.now, resolve });
        switch (scripts.get(targetId)?.shift() ?? behaviour.get(targetId) ?? 'answer') {
          case 'answer':
            resolve({ freeSlots: sends.length });
            break;
          case 'hang':
            break;
          case 'unreachable':
            reject(unreachable(targetId));
            break;
          case 'timeout':
            reject(new RpcTimeoutError({ method: 'TaskExecutorGateway.heartbeatFromJobManager', address: targetId, timeoutMs: 10_000 }));
            break;
          case 'handler-error':
            reject(new RemoteHandlerError({ method: 'TaskExecutorGateway.heartbeatFromJobManager', address: targetId, remoteName: 'Error', remoteMessage: 'boom', remoteStack: '' }));
            break;
        }
      }),
    notifyHeartbeat: (targetId, payload) => payloads.push({ targetId, payload, at: main.now }),
    notifyTargetLost: (targetId, reason) => lost.push({ targetId, reason, at: main.now }),
  });
  const sendsTo = (targetId: string) => sends.filter((send) => send.targetId === targetId);
  return { main, behaviour, scripts, sends, sendsTo, payloads, lost, manager };
}

describe('DefaultHeartbeatManager', () => {
  it('sends the first heartbeat right away and then one per interval, delivering each answer', async () => {
    const { main, manager, sendsTo, payloads } = harness();
    manager.monitorTarget('tm-1');
    await main.drain();
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at), [0]);
    assert.deepEqual(payloads, [{ targetId: 'tm-1', payload: { freeSlots: 1 }, at: 0 }]);
    assert.equal(manager.lastHeartbeatFrom('tm-1'), 0);

    await main.advance(3_000);
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at), [0, 1_000, 2_000, 3_000]);
    assert.deepEqual(payloads.map((p) => p.payload.freeSlots), [1, 2, 3, 4]);
    assert.equal(manager.lastHeartbeatFrom('tm-1'), 3_000);
    assert.ok(manager.isMonitoring('tm-1'));
  });

  it('keeps a target that answers alive indefinitely', async () => {
    const { main, manager, lost } = harness();
    manager.monitorTarget('tm-1');
    await main.advance(120_000);
    assert.equal(lost.length, 0);
    assert.ok(manager.isMonitoring('tm-1'));
  });

  it('reports a silent target lost once, after the timeout, naming heartbeat.timeout', async () => {
    const { main, manager, behaviour, lost, sendsTo } = harness();
    behaviour.set('tm-1', 'hang');
    manager.monitorTarget('tm-1');
    await main.advance(9_999);
    assert.equal(lost.length, 0);
    await main.advance(1);
    assert.deepEqual(lost, [
      { targetId: 'tm-1', reason: 'heartbeat of TaskManager tm-1 timed out: nothing heard for 10000 ms (heartbeat.timeout)', at: 10_000 },
    ]);
    assert.equal(manager.isMonitoring('tm-1'), false);
    assert.equal(manager.lastHeartbeatFrom('tm-1'), undefined);

    const sent = sendsTo('tm-1').length;
    await main.advance(60_000);
    assert.equal(lost.length, 1, 'reported lost exactly once');
    assert.equal(sendsTo('tm-1').length, sent, 'no heartbeats to a lost target');
    assert.equal(main.pendingTimers(), 0);
  });

  it('counts the timeout from the last answer, not from when monitoring began', async () => {
    const { main, manager, behaviour, lost } = harness();
    manager.monitorTarget('tm-1');
    await main.advance(5_000); // answers at 0, 1000, ..., 5000
    behaviour.set('tm-1', 'hang');
    await main.advance(9_999);
    assert.equal(lost.length, 0);
    await main.advance(1);
    assert.equal(lost[0]?.at, 15_000);
  });

  it('sends only one heartbeat at a time to a target that does not answer', async () => {
    const { main, manager, behaviour, sendsTo, payloads } = harness();
    behaviour.set('tm-1', 'hang');
    manager.monitorTarget('tm-1');
    await main.advance(3_500);
    assert.equal(sendsTo('tm-1').length, 1);

    sendsTo('tm-1')[0]?.resolve({ freeSlots: 7 });
    await main.drain();
    assert.deepEqual(payloads.map((p) => ({ at: p.at, payload: p.payload })), [{ at: 3_500, payload: { freeSlots: 7 } }]);
    await main.advance(500);
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at), [0, 4_000], 'sending resumes at the next tick');
  });

  it('keeps a target alive on incoming heartbeats while its answers time out', async () => {
    const { main, manager, behaviour, lost } = harness();
    behaviour.set('tm-1', 'timeout');
    manager.monitorTarget('tm-1');
    for (let second = 1; second <= 60; second++) {
      await main.advance(1_000);
      manager.reportHeartbeatFrom('tm-1');
    }
    assert.equal(lost.length, 0);
    assert.equal(manager.lastHeartbeatFrom('tm-1'), 60_000);

    await main.advance(10_000);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]?.at, 70_000, 'lost a timeout after the last incoming heartbeat');
  });

  it('reports a target whose process died lost after rpc-failure-threshold unreachable heartbeats, within an interval and 200 ms', async () => {
    const { main, manager, behaviour, lost, sendsTo } = harness();
    manager.monitorTarget('tm-1');
    await main.advance(2_500);
    behaviour.set('tm-1', 'unreachable'); // the process dies at 2500
    await main.advance(2_000);
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at).slice(-2), [3_000, 3_200], 'retried after 200 ms');
    assert.equal(lost.length, 1);
    assert.equal(lost[0]?.at, 3_200);
    assert.equal(
      lost[0]?.reason,
      'heartbeat of TaskManager tm-1 failed: 2 consecutive RPCs (heartbeats or other calls) could not reach it (heartbeat.rpc-failure-threshold); ' +
        `last error: ${unreachable('tm-1').message}`,
    );
    assert.equal(manager.isMonitoring('tm-1'), false);
  });

  it('needs the unreachable failures to be consecutive: an answer in between starts the count again', async () => {
    const { main, manager, scripts, lost, sendsTo } = harness({ rpcFailureThreshold: 3 });
    scripts.set('tm-1', ['unreachable', 'unreachable', 'answer', 'unreachable', 'unreachable', 'answer', 'unreachable', 'unreachable']);
    manager.monitorTarget('tm-1');
    await main.advance(20_000);
    assert.equal(lost.length, 0);
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at).slice(0, 4), [0, 200, 400, 1_400], 'back to the interval after an answer');

    const dying = harness({ rpcFailureThreshold: 3 });
    dying.scripts.set('tm-1', ['unreachable', 'unreachable', 'unreachable']);
    dying.manager.monitorTarget('tm-1');
    await dying.main.advance(1_000);
    assert.deepEqual(dying.lost.map((l) => l.at), [400]);
  });

  it('jitters the sooner heartbeats after an unreachable failure between 100 and 200 ms', async () => {
    const low = harness({ rpcFailureThreshold: 3, random: () => 0 });
    low.behaviour.set('tm-1', 'unreachable');
    low.manager.monitorTarget('tm-1');
    await low.main.advance(1_000);
    assert.deepEqual(low.sendsTo('tm-1').map((send) => send.at), [0, 100, 200]);
    const middle = harness({ rpcFailureThreshold: 3, random: () => 0.5 });
    middle.behaviour.set('tm-1', 'unreachable');
    middle.manager.monitorTarget('tm-1');
    await middle.main.advance(1_000);
    assert.deepEqual(middle.sendsTo('tm-1').map((send) => send.at), [0, 150, 300]);
  });

  it('counts a call of the owner that could not reach the target like a failed heartbeat: suspect at once, lost at the threshold', async () => {
    const { main, manager, lost, sendsTo } = harness({ rpcFailureThreshold: 2 });
    manager.monitorTarget('tm-1');
    manager.monitorTarget('tm-2');
    await main.advance(500);
    assert.equal(manager.isReachable('tm-1'), true);
    manager.reportUnreachable('tm-1', new RpcTimeoutError({ method: 'TaskExecutorGateway.submitTask', address: 'tm-1', timeoutMs: 10 }));
    assert.equal(manager.isReachable('tm-1'), true, 'a timeout proves nothing');
    manager.reportUnreachable('tm-1', unreachable('tm-1'));
    assert.equal(manager.isReachable('tm-1'), false, 'suspect after a refused connection');
    assert.equal(manager.isReachable('tm-2'), true);
    assert.equal(lost.length, 0);
    // The next heartbeat goes out 200 ms later instead of at 1000; it is answered: reachable again.
    await main.advance(200);
    assert.deepEqual(sendsTo('tm-1').map((send) => send.at), [0, 700]);
    assert.equal(manager.isReachable('tm-1'), true);

    manager.reportUnreachable('tm-2', unreachable('tm-2'));
    manager.reportUnreachable('tm-2', unreachable('tm-2'));
    assert.deepEqual(lost.map((l) => [l.targetId, l.at]), [['tm-2', 700]]);
    assert.match(lost[0]?.reason ?? '', /2 consecutive RPCs \(heartbeats or other calls\) could not reach it/);
    assert.equal(manager.isMonitoring('tm-2'), false);
    manager.reportUnreachable('tm-3', unreachable('tm-3'));
    assert.equal(manager.isReachable('tm-3'), true, 'targets that are not monitored are ignored');
  });

  it('clears the suspicion when the target sends a heartbeat of its own', async () => {
    const { main, manager, behaviour } = harness({ rpcFailureThreshold: 5 });
    behaviour.set('tm-1', 'hang');
    manager.monitorTarget('tm-1');
    await main.advance(100);
    manager.reportUnreachable('tm-1', unreachable('tm-1'));
    assert.equal(manager.isReachable('tm-1'), false);
    manager.reportHeartbeatFrom('tm-1');
    assert.equal(manager.isReachable('tm-1'), true);
  });

  it('does not count timeouts or handler errors towards the unreachable threshold', async () => {
    const { main, manager, scripts, behaviour, lost, sendsTo } = harness();
    scripts.set('tm-1', Array.from({ length: 40 }, (_, i): Behaviour => (i % 2 === 0 ? 'unreachable' : i % 4 === 1 ? 'timeout' : 'handler-error')));
    behaviour.set('tm-1', 'hang');
    manager.monitorTarget('tm-1');
    await main.advance(10_000);
    assert.ok(sendsTo('tm-1').length >= 16, `sent ${sendsTo('tm-1').length}`);
    assert.deepEqual(lost.map((l) => [l.at, l.reason]), [
      [10_000, 'heartbeat of TaskManager tm-1 timed out: nothing heard for 10000 ms (heartbeat.timeout)'],
    ]);

    const timedOut = harness();
    timedOut.behaviour.set('tm-2', 'timeout');
    timedOut.manager.monitorTarget('tm-2');
    await timedOut.main.advance(3_000);
    assert.deepEqual(timedOut.sendsTo('tm-2').map((send) => send.at), [0, 1_000, 2_000, 3_000], 'no faster retries after a timeout');
  });

  it('leaves detection to the timeout when rpc-failure-threshold is -1', async () => {
    const { main, manager, behaviour, lost } = harness({ rpcFailureThreshold: -1 });
    behaviour.set('tm-1', 'unreachable');
    manager.monitorTarget('tm-1');
    await main.advance(9_999);
    assert.equal(lost.length, 0);
    await main.advance(1);
    assert.match(lost[0]?.reason ?? '', /timed out/);
  });

  it('calls nothing back after stop, not even for heartbeats in flight', async () => {
    const { main, manager, behaviour, sendsTo, payloads, lost } = harness();
    behaviour.set('tm-1', 'hang');
    behaviour.set('tm-2', 'hang');
    manager.monitorTarget('tm-1');
    manager.monitorTarget('tm-2');
    await main.drain();
    manager.stop();
    assert.equal(main.pendingTimers(), 0, 'every timer cancelled');

    for (const send of sendsTo('tm-1')) send.resolve({ freeSlots: 1 });
    await main.advance(60_000);
    assert.equal(payloads.length, 0);
    assert.equal(lost.length, 0);
    assert.equal(manager.isMonitoring('tm-1'), false);
    manager.monitorTarget('tm-3');
    await main.advance(1_000);
    assert.equal(sendsTo('tm-3').length, 0, 'a stopped manager monitors nothing new');
  });

  it('stops sending to an unmonitored target, ignores its late answer and reports no loss', async () => {
    const { main, manager, behaviour, sendsTo, payloads, lost } = harness();
    behaviour.set('tm-1', 'hang');
    manager.monitorTarget('tm-1');
    manager.monitorTarget('tm-2');
    await main.drain();
    manager.unmonitorTarget('tm-1');
    sendsTo('tm-1')[0]?.resolve({ freeSlots: 3 });
    await main.advance(30_000);
    assert.equal(sendsTo('tm-1').length, 1);
    assert.ok(payloads.every((p) => p.targetId === 'tm-2'));
    assert.equal(lost.length, 0);
    assert.ok(manager.isMonitoring('tm-2'), 'other targets are unaffected');

    behaviour.set('tm-1', 'answer');
    manager.monitorTarget('tm-1');
    await main.drain();
    assert.equal(sendsTo('tm-1').length, 2, 'monitoring it again starts afresh');
    assert.equal(manager.lastHeartbeatFrom('tm-1'), 30_000);
  });

  it('waits one more interval before a timeout when this process itself was stalled', async () => {
    const { main, manager, behaviour, lost } = harness();
    behaviour.set('tm-1', 'hang');
    behaviour.set('tm-2', 'hang');
    manager.monitorTarget('tm-1');
    manager.monitorTarget('tm-2');
    await main.advance(2_000);

    main.stall(15_000); // our event loop is blocked; tm-1's heartbeat waits in the socket meanwhile
    main.fireDueTimers(); // after the stall, timers run before I/O
    assert.equal(lost.length, 0);
    manager.reportHeartbeatFrom('tm-1'); // the queued heartbeat is processed
    await main.advance(1_000);
    assert.deepEqual(lost.map((l) => [l.targetId, l.at]), [['tm-2', 18_000]], 'only the target that stayed silent is lost');
    assert.ok(manager.isMonitoring('tm-1'));
  });

  it('names what it monitors in the loss reason, and treats a send that throws like a failed one', async () => {
    const main = new FakeMainThread();
    const reasons: string[] = [];
    const manager = new DefaultHeartbeatManager<void>({
      name: 'JobManager',
      intervalMs: 100,
      timeoutMs: 500,
      rpcFailureThreshold: 1,
      logger: silentLogger(),
      runInMainThread: main.runInMainThread,
      scheduleInMainThread: main.scheduleInMainThread,
      now: () => main.now,
      sendHeartbeat: () => {
        throw unreachable('jm');
      },
      notifyHeartbeat: () => {},
      notifyTargetLost: (_id, reason) => reasons.push(reason),
    });
    manager.monitorTarget('jm-1');
    await main.advance(0);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /^heartbeat of JobManager jm-1 failed: 1 consecutive RPCs \(heartbeats or other calls\) could not reach it/);
  });
});
