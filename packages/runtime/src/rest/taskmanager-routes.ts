/** GET /taskmanagers and /taskmanagers/:tmid: the registered TaskManagers, their slots and event-loop lag. */
import type { eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import { Type } from 'typebox';
import { fetchTaskManagers, type RestApp, type RestServices } from './rest-app.js';
import { ErrorResponse, notFound } from './rest-errors.js';

const TaskManagerFields = {
  id: Type.String(),
  path: Type.String({ description: "The TaskManager's RPC address" }),
  timeSinceLastHeartbeat: Type.Integer({ description: "When its last heartbeat arrived, ms since the epoch (Flink's name for it)" }),
  slotsNumber: Type.Integer(),
  freeSlots: Type.Integer(),
  eventLoopLagMs: Type.Number({ description: "Eddy's own: how long its event loop lagged recently (p99), as its last heartbeat said" }),
};

const TaskManagersInfo = Type.Object({ taskmanagers: Type.Array(Type.Object(TaskManagerFields)) }, { description: "Flink's TaskManagersInfo (without hardware and memory, which Eddy does not report)" });

const TaskManagerDetailsInfo = Type.Object(
  {
    ...TaskManagerFields,
    registeredAt: Type.Integer({ description: "Eddy's own: when it registered, ms since the epoch" }),
    allocatedSlots: Type.Array(Type.Object({ index: Type.Integer(), jobId: Type.String() })),
  },
  { description: "Flink's TaskManagerDetailsInfo (without hardware, memory and metrics, which Eddy does not report)" },
);

function taskManagerJson(tm: rm.TaskManagerInfo) {
  return { id: tm.taskManagerId, path: tm.address, timeSinceLastHeartbeat: tm.lastHeartbeat, slotsNumber: tm.slotsTotal, freeSlots: tm.slotsFree, eventLoopLagMs: tm.eventLoopLagMs };
}

export function registerTaskManagerRoutes(app: RestApp, services: RestServices): void {
  const taskManagers = () => fetchTaskManagers(services);
  app.get('/taskmanagers', { schema: { summary: 'The registered TaskManagers', response: { 200: TaskManagersInfo, 503: ErrorResponse } } }, async () => ({
    taskmanagers: (await taskManagers()).map(taskManagerJson),
  }));
  app.get(
    '/taskmanagers/:tmid',
    {
      schema: {
        summary: 'One TaskManager with its slots and the jobs they hold',
        params: Type.Object({ tmid: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: { 200: TaskManagerDetailsInfo, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const tm = (await taskManagers()).find((candidate) => candidate.taskManagerId === request.params.tmid);
      if (tm === undefined) throw notFound(`No TaskManager ${request.params.tmid} is registered; GET /taskmanagers lists them`);
      return {
        ...taskManagerJson(tm),
        registeredAt: tm.registeredAt,
        allocatedSlots: tm.slots.filter((slot) => slot.allocationId !== '').map((slot) => ({ index: slot.slotIndex, jobId: slot.jobId })),
      };
    },
  );
}
