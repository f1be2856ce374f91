/**
 * The slots of one TaskManager: each free or allocated to one job under an allocation id. The
 * TaskExecutor changes it from its mailbox only.
 */
import type { eddy_cluster_v1 as cluster } from '@eddy/proto';

export interface TaskSlot {
  readonly index: number;
  /** Empty when free. */
  allocationId: string;
  jobId: string;
}

export class SlotAllocationError extends Error {
  override readonly name = 'SlotAllocationError';
}

export class TaskSlotTable {
  private readonly slots: TaskSlot[];

  constructor(numberOfSlots: number) {
    this.slots = Array.from({ length: numberOfSlots }, (_, index) => ({ index, allocationId: '', jobId: '' }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Allocates slot `index`; allocating it again under the same allocation id is a no-op. */
  allocate(index: number, allocationId: string, jobId: string): void {
    const slot = this.slots[index];
    if (slot === undefined) throw new SlotAllocationError(`This TaskManager has no slot ${index}; it has ${this.slots.length}`);
    if (slot.allocationId === allocationId && slot.jobId === jobId) return;
    if (slot.allocationId !== '') {
      throw new SlotAllocationError(`Slot ${index} is already allocated to job ${slot.jobId} (allocation ${slot.allocationId})`);
    }
    slot.allocationId = allocationId;
    slot.jobId = jobId;
  }

  find(allocationId: string): TaskSlot | undefined {
    return allocationId === '' ? undefined : this.slots.find((slot) => slot.allocationId === allocationId);
  }

  /** Frees the slot; returns it, or undefined when no slot had that allocation. */
  free(allocationId: string): TaskSlot | undefined {
    const slot = this.find(allocationId);
    if (slot !== undefined) {
      slot.allocationId = '';
      slot.jobId = '';
    }
    return slot;
  }

  allocatedTo(jobId: string): TaskSlot[] {
    return this.slots.filter((slot) => slot.jobId === jobId);
  }

  freeCount(): number {
    return this.slots.filter((slot) => slot.allocationId === '').length;
  }

  report(): cluster.SlotReport {
    return { slots: this.slots.map((slot) => ({ slotIndex: slot.index, allocationId: slot.allocationId, jobId: slot.jobId })) };
  }
}
