import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write';
import { NotFoundError } from '../domain/errors';
import { applyPatchToContent } from '../domain/patches/apply-patch';
import { Patch, parsePatch, patchTarget } from '../domain/patches/validate-patch';
import { Stage } from '../domain/stages';

/**
 * Validates the patch, reads the stage's artifact, computes the new content in memory and only then
 * replaces the file atomically (temp file + rename): a malformed or non-applicable patch changes nothing on disk.
 */
export function applyPatchToArtifacts(
  artifactsDir: string,
  stage: Stage,
  raw: unknown,
): { file: string; patch: Patch } {
  const patch = parsePatch(raw, stage);
  const file = patchTarget(patch, stage);
  const path = join(artifactsDir, file);
  const isFile = statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  if (!isFile) throw new NotFoundError(`No ${file} to patch yet: the ${stage} stage has not produced it`);
  writeFileAtomic(path, applyPatchToContent(patch, file, readFileSync(path, 'utf8')));
  return { file, patch };
}
