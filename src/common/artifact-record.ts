import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Stage } from '../domain/stages';
import { ArtifactRecord } from '../store/store.port';

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

/** Files up to this size are read whole to be hashed; larger ones as a stream, in slices of this size. */
const READ_WHOLE_BYTES = 1 << 20;

/**
 * A file of the job's run dir as an artifact row: kind, size and sha256. `relativePath` is relative to
 * `jobDir`. The file is read whole: for the small files the service writes itself (a patched JSON).
 */
export function describeArtifact(jobDir: string, stage: Stage, relativePath: string): ArtifactRecord {
  const bytes = readFileSync(join(jobDir, relativePath));
  return artifactRecord(stage, relativePath, bytes.length, createHash('sha256').update(bytes).digest('hex'));
}

/**
 * describeArtifact for a file a stage wrote, of any size. Past 1 MiB it is hashed as a stream: a video
 * neither stalls the event loop (300 MB read whole: 0.4 s) nor sits whole in memory, and a file
 * past 2 GiB, which readFileSync refuses, is recorded like any other.
 */
export async function describeStageArtifact(
  jobDir: string,
  stage: Stage,
  relativePath: string,
): Promise<ArtifactRecord> {
  const path = join(jobDir, relativePath);
  if (statSync(path).size <= READ_WHOLE_BYTES) return describeArtifact(jobDir, stage, relativePath);
  const hash = createHash('sha256');
  let size = 0;
  for await (const slice of createReadStream(path, { highWaterMark: READ_WHOLE_BYTES })) {
    hash.update(slice as Buffer);
    size += (slice as Buffer).length;
  }
  return artifactRecord(stage, relativePath, size, hash.digest('hex'));
}

function artifactRecord(stage: Stage, path: string, size: number, checksum: string): ArtifactRecord {
  return {
    stage,
    kind: artifactKind(path),
    path,
    meta: {},
    created_at: new Date().toISOString(),
    size_bytes: size,
    checksum,
  };
}
