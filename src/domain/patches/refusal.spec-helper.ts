import { HttpException } from '@nestjs/common';

/** What a patch call refused with (status and detail), or 'succeeded' — for table-driven refusal tests. */
export function refusalOf(action: () => unknown): { status: number; detail: string } | 'succeeded' {
  try {
    action();
    return 'succeeded';
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), detail: error.message };
  }
}
