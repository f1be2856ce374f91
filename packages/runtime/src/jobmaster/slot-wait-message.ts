/**
 * What a job that has not all its slots yet says about it: in JobDetails.waitingFor (`eddy
 * status`, the progress view of `eddy run`) and, when it truly waits, as a job event.
 *
 *   requesting   the cluster has the slots; they are being allocated and offered. Normal and
 *                short: "requesting 2 slots" (no event: it is not a problem to report).
 *   waiting      the cluster has enough slots but not enough free ones (other jobs hold them):
 *                "needs 4 slots, 2 free on 1 TaskManager".
 *   never-fits   the cluster does not have that many slots at all: "needs 8 slots but the cluster
 *                has 4 in total; add TaskManagers or lower the parallelism". Said at once; the
 *                job still waits up to slot.request.timeout for TaskManagers to join.
 */

/** What the JobMaster knows about the slots of one job and of the cluster. */
export interface SlotSituation {
  readonly requiredSlots: number;
  /** Slots the JobMaster holds and can deploy to. */
  readonly slotsHeld: number;
  /** Slots the ResourceManager allocated to the job (held, or being offered). */
  readonly slotsAllocated: number;
  /** Slots free in the cluster, allocated to no job. */
  readonly slotsFree: number;
  readonly slotsTotal: number;
  readonly taskManagers: number;
}

export type SlotWaitKind = 'requesting' | 'waiting' | 'never-fits';

export interface SlotWait {
  readonly kind: SlotWaitKind;
  /** For JobDetails.waitingFor, starting in lower case. */
  readonly text: string;
}

/** "1 slot", "2 slots". */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const REQUESTING = 'requesting';

/**
 * Whether a JobDetails.waitingFor text says the slots are merely being requested (they exist), for
 * a client that has only the text: the CLI must not call that "waiting for slots".
 */
export function isRequestingSlots(waitingFor: string): boolean {
  return waitingFor.startsWith(`${REQUESTING} `);
}

export function describeSlotWait(situation: SlotSituation): SlotWait {
  const { requiredSlots, slotsTotal } = situation;
  if (slotsTotal < requiredSlots) {
    return {
      kind: 'never-fits',
      text: `needs ${countOf(requiredSlots, 'slot')} but the cluster has ${slotsTotal} in total; add TaskManagers or lower the parallelism`,
    };
  }
  const obtainable = Math.max(situation.slotsHeld, situation.slotsAllocated) + situation.slotsFree;
  if (obtainable >= requiredSlots) return { kind: 'requesting', text: `${REQUESTING} ${countOf(requiredSlots, 'slot')}` };
  return {
    kind: 'waiting',
    text: `needs ${countOf(requiredSlots, 'slot')}, ${obtainable} free on ${countOf(situation.taskManagers, 'TaskManager')}`,
  };
}
