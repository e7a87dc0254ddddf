// TEMPORARY STUB (lead): replaced by the real patch application.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stage } from '../../common/stages';
import { Patch, parsePatch } from './validate-patch';
export function applyPatchToArtifacts(artifactsDir: string, stage: Stage, raw: unknown): { file: string; patch: Patch } {
  const patch = parsePatch(raw, stage);
  const file = 'storyboard.json';
  const json = JSON.parse(readFileSync(join(artifactsDir, file), 'utf8'));
  for (const adj of (patch.beat_adjustments as any[]) ?? []) for (const s of json.sections) for (const b of s.beats) if (b.id === adj.beat_id) b.duration = adj.duration;
  writeFileSync(join(artifactsDir, file), JSON.stringify(json));
  return { file, patch };
}
