/** What the client and the TaskManagers' worker threads use of a job bundle's API copy. */
export type * from './internal/contract.js';
