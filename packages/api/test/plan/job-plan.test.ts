import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobDefinitionError, JobGraphMismatchError, RestartStrategies, type JobMain } from '../../src/index.js';
import { buildPlan, checkPlan, createTaskChain } from '../../src/internal.js';
import type { JobMain as BundleJobMain, JobPlan, PlanVertex } from '../../src/internal/contract.js';
import type { StreamExecutionEnvironment } from '../../src/index.js';
import { TestingChainContext } from '../fixtures/testing-chain-context.js';

const names = (plan: JobPlan): string[] => plan.vertices.map((v) => v.name);
const vertex = (plan: JobPlan, name: string): PlanVertex => {
  const found = plan.vertices.find((v) => v.name === name);
  assert.ok(found, `no vertex '${name}' in ${JSON.stringify(names(plan))}`);
  return found;
};
const edges = (plan: JobPlan): string[] =>
  plan.edges.map((e) => {
    const source = plan.vertices.find((v) => v.id === e.source)?.name;
    const target = plan.vertices.find((v) => v.id === e.target)?.name;
    return `${source} =${e.partitioner}/${e.distributionPattern}=> ${target}`;
  });

describe('buildPlan', () => {
  it('chains a source, map, filter and sink of equal parallelism into one vertex', async () => {
    const plan = await buildPlan((env) => {
      env.setParallelism(2);
      env.fromSequence(1, 10).map((x) => x * 2).filter((x) => x > 4).print();
    }, []);
    assert.deepEqual(names(plan), ['Source: Sequence Source -> Map -> Filter -> Sink: Print to Std. Out']);
    assert.deepEqual(plan.edges, []);
    const [only] = plan.vertices;
    assert.equal(only?.parallelism, 2);
    assert.equal(only?.maxParallelism, 0);
    assert.equal(only?.slotSharingGroup, 'default');
    assert.equal(only?.id, only?.operators[0]?.id);
    assert.deepEqual(only?.operators.map((o) => o.kind), ['source', 'map', 'filter', 'sink']);
  });

  it('breaks the chain at keyBy with a hash edge to the keyed operator', async () => {
    const plan = await buildPlan((env) => {
      env.setParallelism(2);
      env.fromSequence(1, 10).map((x) => [x % 3, x] as [number, number]).keyBy(([k]) => k).sum(1).print();
    }, []);
    assert.deepEqual(names(plan), ['Source: Sequence Source -> Map', 'Keyed Aggregation -> Sink: Print to Std. Out']);
    assert.deepEqual(edges(plan), ['Source: Sequence Source -> Map =hash/ALL_TO_ALL=> Keyed Aggregation -> Sink: Print to Std. Out']);
    assert.deepEqual(plan.edges[0], {
      source: plan.vertices[0]?.id,
      target: plan.vertices[1]?.id,
      partitioner: 'hash',
      distributionPattern: 'ALL_TO_ALL',
      targetInput: 0,
    });
  });

  it('connects operators of different parallelism with a rebalance edge', async () => {
    const plan = await buildPlan((env) => {
      env.setParallelism(4);
      env.fromElements('a', 'b').map((s) => s.toUpperCase()).print();
    }, []);
    assert.deepEqual(names(plan), ['Source: Collection Source', 'Map -> Sink: Print to Std. Out']);
    assert.deepEqual(plan.vertices.map((v) => v.parallelism), [1, 4]);
    assert.deepEqual(edges(plan), ['Source: Collection Source =rebalance/ALL_TO_ALL=> Map -> Sink: Print to Std. Out']);
  });

  it('breaks chains at disableChaining, startNewChain and a different slot sharing group', async () => {
    const plan = await buildPlan((env) => {
      env
        .fromSequence(1, 10)
        .map((x) => x)
        .name('A')
        .map((x) => x)
        .name('B')
        .disableChaining()
        .map((x) => x)
        .name('C')
        .map((x) => x)
        .name('D')
        .startNewChain()
        .map((x) => x)
        .name('E')
        .map((x) => x)
        .name('F')
        .slotSharingGroup('other')
        .print();
    }, []);
    assert.deepEqual(names(plan), ['Source: Sequence Source -> A', 'B', 'C', 'D -> E', 'F -> Sink: Print to Std. Out']);
    assert.deepEqual(
      plan.edges.map((e) => e.partitioner),
      ['forward', 'forward', 'forward', 'forward'],
    );
    assert.ok(plan.edges.every((e) => e.distributionPattern === 'POINTWISE'));
    assert.equal(vertex(plan, 'F -> Sink: Print to Std. Out').slotSharingGroup, 'other', 'the sink inherits the group of its input');
  });

  it('puts every operator in its own vertex when chaining is disabled for the job', async () => {
    const plan = await buildPlan((env) => {
      env.disableOperatorChaining();
      env.fromSequence(1, 3).map((x) => x).print();
    }, []);
    assert.deepEqual(names(plan), ['Source: Sequence Source', 'Map', 'Sink: Print to Std. Out']);
  });

  it('feeds a union into one vertex through two edges, which does not chain', async () => {
    const plan = await buildPlan((env) => {
      const a = env.fromSequence(1, 3).name('A');
      const b = env.fromSequence(4, 6).name('B');
      a.union(b).map((x) => x + 1).print();
    }, []);
    assert.deepEqual(names(plan), ['A', 'B', 'Map -> Sink: Print to Std. Out']);
    assert.deepEqual(edges(plan), ['A =forward/POINTWISE=> Map -> Sink: Print to Std. Out', 'B =forward/POINTWISE=> Map -> Sink: Print to Std. Out']);
    assert.ok(plan.edges.every((e) => e.targetInput === 0));
  });

  it('maps explicit partitioners to plan edges, showing shuffle as rebalance', async () => {
    const plan = await buildPlan((env) => {
      env.setParallelism(2);
      const s = env.fromSequence(1, 10);
      s.rebalance().print().name('rebalanced');
      s.rescale().print().name('rescaled');
      s.broadcast().print().name('broadcast');
      s.shuffle().print().name('shuffled');
      s.forward().print().name('forwarded');
    }, []);
    assert.deepEqual(edges(plan), [
      'Source: Sequence Source -> forwarded =rebalance/ALL_TO_ALL=> rebalanced',
      'Source: Sequence Source -> forwarded =rescale/POINTWISE=> rescaled',
      'Source: Sequence Source -> forwarded =broadcast/ALL_TO_ALL=> broadcast',
      'Source: Sequence Source -> forwarded =rebalance/ALL_TO_ALL=> shuffled',
    ]);
  });

  it('gives the same operator ids on every build, and uses uid() where set', async () => {
    const main: JobMain = (env) => {
      env.fromSequence(1, 10).map((x) => x).uid('my-map').filter(() => true).keyBy((x) => x % 2).reduce((a, b) => a + b).print();
    };
    const first = await buildPlan(main, []);
    const second = await buildPlan(main, []);
    assert.deepEqual(first, second);
    const ids = first.vertices.flatMap((v) => v.operators.map((o) => o.id));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.includes('my-map'));
    assert.match(ids[0] ?? '', /^source-[0-9a-f]{16}$/);
    assert.equal(first.vertices[1]?.id, first.vertices[1]?.operators[0]?.id);
  });

  it('keeps ids of existing operators when an unrelated branch is added', async () => {
    const before = await buildPlan((env) => {
      env.fromSequence(1, 10).map((x) => x).print();
    }, []);
    const after = await buildPlan((env) => {
      const s = env.fromSequence(1, 10);
      s.map((x) => x).print();
      s.filter(() => true).print();
    }, []);
    const beforeIds = before.vertices.flatMap((v) => v.operators.map((o) => o.id));
    const afterIds = new Set(after.vertices.flatMap((v) => v.operators.map((o) => o.id)));
    for (const id of beforeIds) assert.ok(afterIds.has(id), `${id} kept`);
  });

  it('refuses a duplicate uid with a clear error', async () => {
    await assert.rejects(
      buildPlan((env) => {
        const s = env.fromSequence(1, 10);
        s.map((x) => x).uid('twice').print();
        s.filter(() => true).uid('twice').print();
      }, []),
      (error: unknown) => error instanceof JobDefinitionError && /duplicate uid 'twice': operators 'Map' and 'Filter'/.test(error.message),
    );
  });

  it('refuses a job that defines no sink', async () => {
    await assert.rejects(
      buildPlan((env) => {
        env.fromSequence(1, 10).map((x) => x);
      }, []),
      /the job defines no sink/,
    );
  });

  it('refuses forward() between operators of different parallelism', async () => {
    await assert.rejects(
      buildPlan((env) => {
        env.fromElements(1, 2).forward().map((x) => x).setParallelism(2).print();
      }, []),
      /Forward partitioning does not allow change of parallelism/,
    );
  });

  it('refuses a parallelism above 1 for a non-parallel source', async () => {
    await assert.rejects(
      buildPlan((env) => {
        env.fromElements(1).setParallelism(2).print();
      }, []),
      /The parallelism of non parallel operator must be 1/,
    );
  });

  it('changes the fingerprint when the pipeline changes, and only then', async () => {
    const job = (parallelism: number, withFilter: boolean): JobMain => (env) => {
      env.setParallelism(parallelism);
      const s = env.fromSequence(1, 10).map((x) => x);
      (withFilter ? s.filter(() => true) : s).print();
    };
    const base = (await buildPlan(job(2, false), [])).fingerprint;
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal((await buildPlan(job(2, false), [])).fingerprint, base);
    assert.notEqual((await buildPlan(job(3, false), [])).fingerprint, base);
    assert.notEqual((await buildPlan(job(2, true), [])).fingerprint, base);
  });

  it("puts a source's splitEnumerator() into its vertex for the JobMaster, outside the fingerprint (data such as servers, not the graph)", async () => {
    const job = (servers: string | undefined): JobMain => (env) => {
      const source = { run: () => undefined, ...(servers === undefined ? {} : { splitEnumerator: () => ({ kind: 'kafka', settings: { servers } }) }) };
      env.fromSource(source, 'Reader').print();
    };
    const plan = await buildPlan(job('a:9092'), []);
    assert.deepEqual(JSON.parse(plan.vertices[0]?.splitEnumerator ?? 'null'), { kind: 'kafka', settings: { servers: 'a:9092' } });
    assert.equal((await buildPlan(job(undefined), [])).vertices[0]?.splitEnumerator, undefined, 'none for a source without one');
    assert.equal((await buildPlan(job('b:9092'), [])).fingerprint, plan.fingerprint);
    assert.equal((await buildPlan(job(undefined), [])).fingerprint, plan.fingerprint);
  });

  it('records the job name and configuration set through the environment', async () => {
    const plan = await buildPlan((env) => {
      env.setJobName('Word Count').setBufferTimeout(5).configure('pipeline.custom', 7);
      env.setRestartStrategy(RestartStrategies.fixedDelayRestart(3, 2000));
      env.fromElements(1).print();
    }, []);
    assert.equal(plan.jobName, 'Word Count');
    assert.deepEqual(plan.configuration, {
      'execution.buffer-timeout': '5 ms',
      'pipeline.custom': '7',
      'restart-strategy.fixed-delay.attempts': '3',
      'restart-strategy.fixed-delay.delay': '2000 ms',
      'restart-strategy.type': 'fixed-delay',
    });
  });

  it('gives keyed vertices their max parallelism and refuses one below the parallelism', async () => {
    const plan = await buildPlan((env) => {
      env.setParallelism(2);
      env.fromSequence(1, 10).keyBy((x) => x).sum().setMaxParallelism(256).print();
    }, []);
    assert.deepEqual(plan.vertices.map((v) => v.maxParallelism), [0, 256]);
    await assert.rejects(
      buildPlan((env) => {
        env.setParallelism(4).setMaxParallelism(2);
        env.fromSequence(1, 10).print();
      }, []),
      /max parallelism of 'Source: Sequence Source' \(2\) is below its parallelism \(4\)/,
    );
  });

  it('cuts a text file into byte-range splits when the plan is built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-plan-'));
    try {
      const path = join(dir, 'in.txt');
      writeFileSync(path, 'x'.repeat(3 * 1024 * 1024 + 10));
      const plan = await buildPlan((env) => {
        env.setParallelism(2);
        env.readTextFile(path).print();
      }, []);
      const splits = (plan.vertices[0]?.inputSplits ?? []).map((s) => JSON.parse(s) as { path: string; start: number; length: number });
      assert.equal(splits.length, 4);
      assert.equal(splits[0]?.start, 0);
      assert.equal(splits.reduce((n, s) => n + s.length, 0), 3 * 1024 * 1024 + 10);
      for (let i = 1; i < splits.length; i++) assert.equal(splits[i]?.start, (splits[i - 1]?.start ?? 0) + (splits[i - 1]?.length ?? 0));
      const missing = await buildPlan((env) => {
        env.readTextFile(join(dir, 'absent.txt')).print();
      }, []);
      assert.deepEqual(missing.vertices[0]?.inputSplits.map((s) => JSON.parse(s)), [{ path: join(dir, 'absent.txt'), start: 0, length: -1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bundle entry points', () => {
  it("take a job's default export typed as the contract's JobMain, whose env is unknown", async () => {
    const main: BundleJobMain = (env) => {
      (env as StreamExecutionEnvironment).fromElements('x').print();
    };
    const plan = await buildPlan(main, []);
    assert.deepEqual(names(plan), ['Source: Collection Source -> Sink: Print to Std. Out']);
  });

  it('refuses a module whose default export is not a function', async () => {
    await assert.rejects(buildPlan(undefined as unknown as JobMain, []), /the job module must default-export a function \(env, args\) => void/);
  });
});

describe('checkPlan and createTaskChain', () => {
  const job = (parallelism: number): JobMain => (env) => {
    env.setParallelism(parallelism);
    env.fromSequence(1, 10).map((x) => x).keyBy((x) => x).sum().print();
  };

  it('accepts a rebuilt plan equal to the submitted one', async () => {
    const submitted = await buildPlan(job(2), []);
    const rebuilt = await checkPlan(job(2), [], submitted);
    assert.equal(rebuilt.fingerprint, submitted.fingerprint);
    await checkPlan(job(2), [], submitted.fingerprint);
  });

  it('names what differs when the rebuilt job graph is not the submitted one', async () => {
    const submitted = await buildPlan(job(2), []);
    await assert.rejects(checkPlan(job(3), [], submitted), (error: unknown) => {
      assert.ok(error instanceof JobGraphMismatchError);
      assert.match(error.message, /^the rebuilt job graph differs from the submitted one: vertex '[^']+' has parallelism 3, was 2/);
      return true;
    });
    await assert.rejects(checkPlan(job(3), [], submitted.fingerprint), /the rebuilt job graph differs from the submitted one: its fingerprint is/);
  });

  it('refuses to build a chain for a vertex the rebuilt graph does not have', async () => {
    await assert.rejects(
      createTaskChain(job(1), [], 'no-such-vertex', new TestingChainContext()),
      /the rebuilt job graph differs from the submitted one: it has no vertex 'no-such-vertex'; its vertices are/,
    );
  });
});
