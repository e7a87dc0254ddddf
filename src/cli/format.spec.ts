import { parseDuration } from './duration';
import { formatEvent, isFancy, progress } from './format';

const EVENT = {
  id: 7,
  job_id: 'job',
  ts: '2026-11-23T10:11:12.345Z',
  type: 'stage_started',
  stage: 'script',
  status: 'running',
  message: 'Started script stage',
  payload: { stage: 'script', status: 'running' },
};

describe('jobctl formatting', () => {
  it('prints time, type, stage with progress and message as plain, stable text off a TTY', () => {
    expect(formatEvent(EVENT, { fancy: false, verbose: false })).toBe(
      '10:11:12 - stage_started        [script stage 3/9] Started script stage',
    );
    expect(formatEvent(EVENT, { fancy: false, verbose: true })).toContain('{"stage":"script","status":"running"}');
    expect(formatEvent({ ...EVENT, type: 'job_created', stage: null }, { fancy: false, verbose: false })).toBe(
      '10:11:12 - job_created          Started script stage',
    );
  });

  it('adds icons and colours only on a TTY without NO_COLOR', () => {
    const fancy = formatEvent({ ...EVENT, type: 'job_failed' }, { fancy: true, verbose: false });
    expect(fancy.startsWith('\u001b[31m')).toBe(true);
    expect(fancy).toContain('✗');
    expect(isFancy({ isTTY: true }, {})).toBe(true);
    expect(isFancy({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    // no-color.org: only a non-empty NO_COLOR turns colour off.
    expect(isFancy({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(isFancy({ isTTY: false }, {})).toBe(false);
    expect(progress('acceptance')).toBe('stage 9/9');
    expect(progress(null)).toBe('');
  });

  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['10', null],
    ['m', null],
    ['5d', null],
  ])('reads the duration %s as %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
