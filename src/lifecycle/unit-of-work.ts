import { EventInput, JobEvent } from '../domain/events';
import { JobStatus } from '../domain/stages';
import { Command, Transition, transitionFor } from '../domain/transitions';
import { JobNotFound } from '../domain/errors';
import { JobChanges, JobState, StoreTx } from '../store/store.port';

/**
 * One command's unit of work: the job read inside the transaction, the table's row for the command,
 * and the events the row names — appended in that order, or the unit throws before committing.
 */
export class JobCommand {
  private constructor(
    readonly tx: StoreTx,
    readonly job: JobState,
    readonly transition: Transition,
    private readonly now: string,
  ) {}

  /** Reads the job and looks the command up from its status (JobNotFound, IllegalTransition). */
  static async begin(tx: StoreTx, jobId: string, command: Command, now: string): Promise<JobCommand> {
    const job = await tx.job(jobId);
    if (!job) throw new JobNotFound(jobId);
    return new JobCommand(tx, job, transitionFor(jobId, job.status, command), now);
  }

  get status(): JobStatus {
    return this.transition.to ?? this.job.status;
  }

  /** Writes the row's new status (and any other job columns) when the row changes it. */
  async updateJob(changes: Omit<JobChanges, 'updated_at' | 'status'> = {}): Promise<void> {
    await this.tx.updateJob(this.job.id, { ...changes, status: this.status, updated_at: this.now });
  }

  /** Appends the row's events; their types must be exactly the row's, in its order. */
  async append(...inputs: EventInput[]): Promise<JobEvent[]> {
    const types = inputs.map((input) => input.type);
    if (types.join() !== this.transition.events.join()) {
      // A programming error, not a user's: the table and the code that follows it disagree.
      throw new Error(
        `${this.transition.command} appends ${this.transition.events.join(', ')}, not ${types.join(', ')}`,
      );
    }
    const events: JobEvent[] = [];
    for (const input of inputs) events.push(await this.tx.appendEvent(input));
    return events;
  }
}
