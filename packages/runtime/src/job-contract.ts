/**
 * The version of the contract between a job bundle's copy of @eddy/api and this runtime (see the
 * api's contract.ts). Checked twice: by the Dispatcher at submission, against the version the
 * client read from the bundle and put into the JobGraph, and by every task when it loads the
 * bundle (a graph built by hand states no version).
 */

/** The contract version this runtime speaks with a job bundle's API. */
export const RUNTIME_CONTRACT_VERSION = 6;

/** A job bundle built against another version of the contract between bundles and the runtime. */
export class ContractVersionMismatchError extends Error {
  override readonly name = 'ContractVersionMismatchError';
}

/** The error for a bundle that speaks `version`, or undefined when this runtime speaks it. */
export function contractVersionMismatch(version: number): ContractVersionMismatchError | undefined {
  if (version === RUNTIME_CONTRACT_VERSION) return undefined;
  const which = version < RUNTIME_CONTRACT_VERSION ? 'an older' : 'a newer';
  return new ContractVersionMismatchError(
    `The job bundle was built by ${which} Eddy client: it speaks version ${version} of the contract between job bundles and the runtime, ` +
      `this cluster speaks version ${RUNTIME_CONTRACT_VERSION}. Submit the job again with the eddy CLI of the cluster's version.`,
  );
}
