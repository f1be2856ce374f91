import { EddyApiError } from '../../errors.js';

/**
 * A record (or state value) cannot be encoded: it holds a function, a symbol, a cycle, something
 * nested deeper than the codec allows, or one of its getters threw. The message says which record
 * and where in it.
 */
export class RecordEncodeError extends EddyApiError {}

/**
 * Bytes that are not a batch (or value) this codec wrote: truncated, corrupt, or written in a
 * format version this runtime does not read. The message says what was wrong and at which byte.
 */
export class RecordDecodeError extends EddyApiError {}
