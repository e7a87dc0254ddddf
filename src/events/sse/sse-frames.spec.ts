import { makeEvent } from '../../domain/events';
import { connectedFrame, eventFrame, formatFrame, heartbeatFrame, shutdownFrame } from './sse-frames';

describe('SSE frames', () => {
  it('gives stored events their database id as the id: line', () => {
    const event = makeEvent(42, 'job', 'ts', 'job_created', null, 'queued', 'm', {});
    expect(eventFrame(event)).toBe(`id: 42\ndata: ${JSON.stringify(event)}\n\n`);
  });

  it.each([
    ['heartbeat', heartbeatFrame(), 'Server alive'],
    ['shutdown', shutdownFrame(), 'Server shutting down'],
  ])('writes the %s frame with no id: and no event: line', (type, frame, message) => {
    expect(frame).toMatch(/^data: \{.*\}\n\n$/);
    expect(JSON.parse(frame.slice('data: '.length))).toMatchObject({ type, message, stage: null, status: null });
  });

  it('starts with the retry hint and the connected frame, without an id', () => {
    const frame = connectedFrame('Connected to job j event stream', { job_id: 'j', operator: 'admin' }, 3000);
    expect(frame.startsWith('retry: 3000\ndata: {')).toBe(true);
    expect(frame).not.toContain('id: ');
    expect(JSON.parse(frame.slice('retry: 3000\ndata: '.length))).toMatchObject({
      type: 'connected',
      payload: { job_id: 'j', operator: 'admin' },
    });
  });

  it.each([
    ['one line', 'a', 'data: a\n\n'],
    ['LF', 'a\nb', 'data: a\ndata: b\n\n'],
    ['CRLF', 'a\r\nb', 'data: a\ndata: b\n\n'],
    ['CR', 'a\rb', 'data: a\ndata: b\n\n'],
  ])('splits data with %s into one data: line per line', (_name, data, expected) => {
    expect(formatFrame(data)).toBe(expected);
  });
});
