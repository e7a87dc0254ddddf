import { Injectable } from '@nestjs/common';
import { writeJsonAtomic } from '../common/atomic-write';
import { RunPaths } from '../config/run-paths';
import { GateRecord } from '../store/store.port';

/** runs/<id>/gates/<stage>.json: the last decision on that gate (docs/API.md, "Files on disk"). */
@Injectable()
export class DecisionFiles {
  constructor(private readonly paths: RunPaths) {}

  /** A gate set back to pending (resume without a patch) keeps the file of the decision it had. */
  write(jobId: string, gate: GateRecord): void {
    if (gate.approved === null) return;
    writeJsonAtomic(this.paths.gateDecisionFile(jobId, gate.stage), {
      stage: gate.stage,
      approved: gate.approved,
      by: gate.by,
      at: gate.at,
      notes: gate.notes,
      patch: gate.patch,
      auto_approved: gate.auto_approved,
    });
  }
}
