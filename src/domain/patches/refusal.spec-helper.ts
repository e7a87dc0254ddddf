import { describe as describeError } from '../../common/http-exception.filter';

/** What a patch call refused with (status and detail), or 'succeeded' — for table-driven refusal tests. */
export function refusalOf(action: () => unknown): { status: number; detail: string } | 'succeeded' {
  try {
    action();
    return 'succeeded';
  } catch (error) {
    const { status, detail } = describeError(error);
    if (status >= 500) throw error;
    return { status, detail: String(detail) };
  }
}
