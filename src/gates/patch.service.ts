import { join, relative } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Stage } from '../domain/stages';
import { RunPaths } from '../config/run-paths';
import { applyPatchToArtifacts } from './patch-files';
import { parsePatch } from '../domain/patches/validate-patch';

export interface AppliedPatch {
  /** The validated patch, as stored with the gate and reported in events. */
  patch: Record<string, unknown>;
  /** The changed file, relative to the job's run dir. */
  path: string;
}

/** Patches of SPEC §8 against a job's artifacts: validated (400) before anything changes on disk. */
@Injectable()
export class PatchService {
  constructor(private readonly paths: RunPaths) {}

  validate(raw: unknown, stage: Stage): Record<string, unknown> {
    return parsePatch(raw, stage) as unknown as Record<string, unknown>;
  }

  apply(jobId: string, stage: Stage, raw: unknown): AppliedPatch {
    const artifactsDir = this.paths.artifactsDir(jobId);
    const { file, patch } = applyPatchToArtifacts(artifactsDir, stage, raw);
    return {
      patch: patch as unknown as Record<string, unknown>,
      path: relative(this.paths.jobDir(jobId), join(artifactsDir, file)),
    };
  }
}
