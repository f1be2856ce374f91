/** The <job-id> argument of status, cancel and logs, checked before anything is sent. */
import { Argument, InvalidArgumentError } from 'commander';
import { isJobId } from '@eddy/runtime';

export function jobIdArgument(): Argument {
  return new Argument('<job-id>', 'id of the job, as `eddy list` prints it').argParser((value: string) => {
    const normalized = value.trim().toLowerCase();
    if (!isJobId(normalized)) throw new InvalidArgumentError('a job id is 32 hexadecimal characters, as `eddy list` prints them.');
    return normalized;
  });
}
