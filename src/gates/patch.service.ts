import { join, relative } from 'node:path';
import { Injectable } from '@nestjs/common';
import { describeArtifact } from '../common/artifact-record';
import { RunPaths } from '../config/run-paths';
import { parsePatch } from '../domain/patches/validate-patch';
import { Stage } from '../domain/stages';
import { AppliedPatch } from '../lifecycle/gate-lifecycle.service';
import { applyPatchToArtifacts } from './patch-files';

/** Patches against a job's artifacts (docs/API.md, "Patches"): validated (400) before anything changes on disk. */
@Injectable()
export class PatchService {
  constructor(private readonly paths: RunPaths) {}

  validate(raw: unknown, stage: Stage): Record<string, unknown> {
    return parsePatch(raw, stage) as unknown as Record<string, unknown>;
  }

  /** Applies the patch to the file now; the artifact's new size and checksum go with it. */
  applierFor(jobId: string): (stage: Stage, raw: unknown) => AppliedPatch {
    return (stage, raw) => {
      const artifactsDir = this.paths.artifactsDir(jobId);
      const { file, patch } = applyPatchToArtifacts(artifactsDir, stage, raw);
      const path = relative(this.paths.jobDir(jobId), join(artifactsDir, file));
      return {
        patch: patch as unknown as Record<string, unknown>,
        artifact: describeArtifact(this.paths.jobDir(jobId), stage, path),
      };
    };
  }
}
