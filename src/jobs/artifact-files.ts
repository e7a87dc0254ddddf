import { createReadStream, lstatSync, realpathSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { BadRequestException, Injectable, NotFoundException, StreamableFile } from '@nestjs/common';
import { clip } from '../common/text';
import { RunPaths } from '../config/run-paths';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.mp4': 'video/mp4',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
};

/**
 * Serves a file of a job's run dir. Nothing outside that dir can be read: absolute paths and `..`
 * are refused (400), and a path whose real location (symlinks resolved) leaves the dir is a 404.
 */
@Injectable()
export class ArtifactFiles {
  constructor(private readonly paths: RunPaths) {}

  open(jobId: string, rawPath: unknown): StreamableFile {
    if (typeof rawPath !== 'string' || rawPath.length === 0) throw new BadRequestException('path is required');
    if (rawPath.includes('\0') || isAbsolute(rawPath) || rawPath.split(/[\\/]/).includes('..')) {
      throw new BadRequestException(`path must be relative to the job's run dir, without "..": "${clip(rawPath)}"`);
    }
    const jobDir = this.paths.jobDir(jobId);
    const notFound = () => new NotFoundException(`No file "${clip(rawPath)}" in job ${jobId}`);
    let real: string;
    let realDir: string;
    try {
      realDir = realpathSync(jobDir);
      real = realpathSync(resolve(jobDir, rawPath));
    } catch {
      throw notFound();
    }
    const inside = relative(realDir, real);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep)[0] === '..')
      throw notFound();
    if (!lstatSync(real).isFile()) throw notFound();
    return new StreamableFile(createReadStream(real), {
      type: CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
      disposition: `inline; filename="${encodeURIComponent(real.split(sep).pop() ?? 'artifact')}"`,
    });
  }
}
