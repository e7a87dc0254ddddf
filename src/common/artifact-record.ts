import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** A file of the job's run dir as an artifact row: kind, size and sha256. `relativePath` is relative to `jobDir`. */
export function describeArtifact(jobDir: string, stage: Stage, relativePath: string): ArtifactRecord {
  const bytes = readFileSync(join(jobDir, relativePath));
  return {
    stage,
    kind: artifactKind(relativePath),
    path: relativePath,
    meta: {},
    created_at: new Date().toISOString(),
    size_bytes: bytes.length,
    checksum: createHash('sha256').update(bytes).digest('hex'),
  };
}
