import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countOf, describeSlotWait, isRequestingSlots, type SlotSituation } from '../../src/jobmaster/slot-wait-message.js';

const situation = (overrides: Partial<SlotSituation>): SlotSituation => ({
  requiredSlots: 2,
  slotsHeld: 0,
  slotsAllocated: 0,
  slotsFree: 0,
  slotsTotal: 0,
  taskManagers: 0,
  ...overrides,
});

describe('describeSlotWait', () => {
  it('says "requesting" while the slots exist and are being allocated or offered, not "waiting"', () => {
    // Just declared: the cluster has them free.
    assert.deepEqual(describeSlotWait(situation({ slotsFree: 2, slotsTotal: 2, taskManagers: 2 })), { kind: 'requesting', text: 'requesting 2 slots' });
    // Allocated to the job, not yet offered: none is free any more, and that is no reason to wait.
    assert.deepEqual(describeSlotWait(situation({ slotsAllocated: 2, slotsTotal: 2, taskManagers: 2 })), { kind: 'requesting', text: 'requesting 2 slots' });
    // One held, one on its way.
    assert.equal(describeSlotWait(situation({ slotsHeld: 1, slotsAllocated: 2, slotsTotal: 4, taskManagers: 2 })).kind, 'requesting');
    assert.equal(describeSlotWait(situation({ requiredSlots: 1, slotsFree: 1, slotsTotal: 1, taskManagers: 1 })).text, 'requesting 1 slot');
  });

  it('says "needs N slots, M free on K TaskManagers" when other jobs hold the slots the job lacks', () => {
    assert.deepEqual(describeSlotWait(situation({ requiredSlots: 4, slotsAllocated: 1, slotsFree: 1, slotsTotal: 4, taskManagers: 1 })), {
      kind: 'waiting',
      text: 'needs 4 slots, 2 free on 1 TaskManager',
    });
    assert.equal(describeSlotWait(situation({ requiredSlots: 3, slotsFree: 0, slotsTotal: 6, taskManagers: 3 })).text, 'needs 3 slots, 0 free on 3 TaskManagers');
    assert.equal(describeSlotWait(situation({ requiredSlots: 1, slotsTotal: 1, taskManagers: 1 })).text, 'needs 1 slot, 0 free on 1 TaskManager');
  });

  it('lets a client that has only the text tell "requesting" from a wait', () => {
    const waits = [
      situation({ slotsFree: 2, slotsTotal: 2, taskManagers: 2 }),
      situation({ requiredSlots: 1, slotsFree: 1, slotsTotal: 1, taskManagers: 1 }),
      situation({ requiredSlots: 4, slotsAllocated: 1, slotsFree: 1, slotsTotal: 4, taskManagers: 1 }),
      situation({ requiredSlots: 8, slotsFree: 4, slotsTotal: 4, taskManagers: 2 }),
    ].map(describeSlotWait);
    assert.deepEqual(
      waits.map((wait) => wait.kind),
      ['requesting', 'requesting', 'waiting', 'never-fits'],
    );
    for (const wait of waits) assert.equal(isRequestingSlots(wait.text), wait.kind === 'requesting', wait.text);
    assert.equal(isRequestingSlots(''), false);
  });

  it('says at once when the cluster does not have that many slots at all, and what to do', () => {
    assert.deepEqual(describeSlotWait(situation({ requiredSlots: 8, slotsFree: 4, slotsTotal: 4, taskManagers: 2 })), {
      kind: 'never-fits',
      text: 'needs 8 slots but the cluster has 4 in total; add TaskManagers or lower the parallelism',
    });
    assert.equal(describeSlotWait(situation({ requiredSlots: 1 })).text, 'needs 1 slot but the cluster has 0 in total; add TaskManagers or lower the parallelism');
  });

  it('counts nouns in the singular for one', () => {
    assert.deepEqual([countOf(0, 'slot'), countOf(1, 'slot'), countOf(2, 'TaskManager')], ['0 slots', '1 slot', '2 TaskManagers']);
  });
});
