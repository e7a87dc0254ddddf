import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Stage } from '../domain/stages';
import { RunPaths } from '../config/run-paths';
import { StageEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { JobRecords } from '../jobs/job-records';

const KIND_BY_EXTENSION: Record<string, string> = {
  '.md': 'markdown',
  '.json': 'json',
  '.mp4': 'video',
  '.wav': 'audio',
  '.mp3': 'audio',
  '.png': 'image',
  '.jpg': 'image',
  '.svg': 'image',
  '.txt': 'text',
};

export function artifactKind(path: string): string {
  return KIND_BY_EXTENSION[extname(path).toLowerCase()] ?? 'file';
}

/** Records a stage's output files: size, sha256, a row (upserted by path) and `artifact_created`. */
@Injectable()
export class ArtifactRegistry {
  constructor(
    private readonly paths: RunPaths,
    private readonly records: JobRecords,
    private readonly events: EventLogger,
  ) {}

  /** `relativePath` is relative to the job's run dir. Refused (409) if the job is no longer running. */
  register(jobId: string, stage: Stage, relativePath: string): void {
    const record = this.describe(jobId, stage, relativePath);
    this.events.emit(StageEvents.artifactCreated(jobId, stage, record.kind, relativePath), () => {
      this.records.assertStatus(jobId, ['running']);
      this.records.upsertArtifact(jobId, record);
    });
  }

  /** Updates size and checksum after a patch changed the file (no event: the patch event reports it). */
  refresh(jobId: string, stage: Stage, relativePath: string): void {
    this.records.upsertArtifact(jobId, this.describe(jobId, stage, relativePath));
  }

  private describe(jobId: string, stage: Stage, relativePath: string) {
    const bytes = readFileSync(join(this.paths.jobDir(jobId), relativePath));
    return {
      stage,
      kind: artifactKind(relativePath),
      path: relativePath,
      meta: {},
      sizeBytes: bytes.length,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      now: new Date().toISOString(),
    };
  }
}
