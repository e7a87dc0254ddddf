import { Injectable } from '@nestjs/common';
import { writeJsonAtomic } from '../common/atomic-write';
import { Stage } from '../domain/stages';
import { RunPaths } from '../config/run-paths';
import { GateDecision } from '../jobs/job-records';

/** runs/<id>/gates/<stage>.json: the last decision on that gate (SPEC §8). */
@Injectable()
export class DecisionFiles {
  constructor(private readonly paths: RunPaths) {}

  write(jobId: string, stage: Stage, decision: GateDecision): void {
    writeJsonAtomic(this.paths.gateDecisionFile(jobId, stage), {
      stage,
      approved: decision.approved,
      by: decision.by,
      at: decision.at,
      notes: decision.notes,
      patch: decision.patch,
      auto_approved: decision.autoApproved,
    });
  }
}
