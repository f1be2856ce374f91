/** `eddy taskmanagers`: the TaskManagers registered at the JobManager, their slots and health. */
import { Command } from 'commander';
import type { eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import { hostPortOf } from '../output/addresses.js';
import { printJson, printText } from '../output/print.js';
import { formatTable } from '../output/table.js';
import { formatAge, formatTimestamp } from '../output/time-format.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';

/** One TaskManager as `eddy taskmanagers --json` prints it (scripts/start-cluster.sh reads it). */
export interface ListedTaskManager {
  readonly id: string;
  /** host:port others reach it at. */
  readonly address: string;
  readonly slotsTotal: number;
  readonly slotsFree: number;
  /** ms since the epoch. */
  readonly lastHeartbeat: number;
  /** How late its event loop ran timers, as its last heartbeat said. */
  readonly eventLoopLagMs: number;
  /** ms since the epoch. */
  readonly registeredAt: number;
}

export function taskManagersCommand(): Command {
  const command = new Command('taskmanagers').description('list the TaskManagers registered at the JobManager: slots, last heartbeat, event-loop lag');
  addClientFlags(command, { json: true });
  return command.action(async (flags: ClientFlags) => {
    let address = '';
    const infos = await withJobClient(flags, (client) => {
      address = client.jobManagerAddress;
      return client.requestTaskManagers();
    });
    const taskManagers = listedTaskManagers(infos);
    if (flags.json === true) printJson(taskManagers);
    else printText(renderTaskManagers(taskManagers, address, Date.now()));
  });
}

/** Oldest registration first. */
export function listedTaskManagers(infos: readonly rm.TaskManagerInfo[]): ListedTaskManager[] {
  return [...infos]
    .sort((a, b) => a.registeredAt - b.registeredAt)
    .map((info) => ({
      id: info.taskManagerId,
      address: hostPortOf(info.address),
      slotsTotal: info.slotsTotal,
      slotsFree: info.slotsFree,
      lastHeartbeat: info.lastHeartbeat,
      eventLoopLagMs: info.eventLoopLagMs,
      registeredAt: info.registeredAt,
    }));
}

export function renderTaskManagers(taskManagers: readonly ListedTaskManager[], jobManagerAddress: string, now: number): string {
  if (taskManagers.length === 0) return `No TaskManagers registered at ${jobManagerAddress}; start one with \`eddy taskmanager -m ${jobManagerAddress}\``;
  return formatTable(
    [
      { header: 'ID' },
      { header: 'ADDRESS' },
      { header: 'SLOTS FREE/TOTAL', align: 'right' },
      { header: 'LAST HEARTBEAT' },
      { header: 'EVENT-LOOP LAG', align: 'right' },
      { header: 'REGISTERED SINCE' },
    ],
    taskManagers.map((tm) => [
      tm.id,
      tm.address,
      `${tm.slotsFree}/${tm.slotsTotal}`,
      formatAge(tm.lastHeartbeat, now),
      `${tm.eventLoopLagMs.toFixed(1)} ms`,
      formatTimestamp(tm.registeredAt),
    ]),
  );
}
