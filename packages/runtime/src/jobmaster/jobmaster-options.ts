/** Options of a JobMaster. */
import { durationOption } from '@eddy/common';

export const JobMasterOptions = {
  slotRequestTimeout: durationOption({
    key: 'slot.request.timeout',
    defaultMs: 300_000,
    minMs: 1,
    description:
      'How long a job waits for the slots it needs. Meanwhile it shows what it waits for ("needs 4 slots, 2 free on 1 TaskManager", or at once "needs 8 slots but the cluster has 4 in total; ..." when the registered TaskManagers can never fit it); then it fails with the slot arithmetic.',
  }),
} as const;
