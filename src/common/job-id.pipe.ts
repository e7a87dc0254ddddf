import { Injectable, NotFoundException, PipeTransform } from '@nestjs/common';
import { clip } from './text';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A job id that is not a UUID is a 404 and never reaches the database or the filesystem. */
@Injectable()
export class JobIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isJobId(value)) throw new NotFoundException(`Job ${clip(String(value))} not found`);
    return value.toLowerCase();
  }
}
