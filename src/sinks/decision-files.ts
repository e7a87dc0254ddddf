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
    const { stage, approved, by, at, notes, patch, auto_approved } = gate;
    writeJsonAtomic(this.paths.gateDecisionFile(jobId, stage), {
      stage,
      approved,
      by,
      at,
      notes,
      patch,
      auto_approved,
    });
  }
}
