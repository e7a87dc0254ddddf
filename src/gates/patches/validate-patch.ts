// TEMPORARY STUB (lead): replaced by the real patch validation.
import { BadRequestException } from '@nestjs/common';
import { Stage } from '../../common/stages';
export type Patch = Record<string, unknown>;
export function parsePatch(raw: unknown, _stage: Stage): Patch {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequestException('patch must be an object');
  return raw as Patch;
}
