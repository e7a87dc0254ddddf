import { makeEvent } from '../../domain/events';
import { connectedFrame, eventFrame, formatFrame, heartbeatFrame, shutdownFrame, truncationFrame } from './sse-frames';

describe('SSE frames', () => {
  it('gives stored events their database id', () => {
    const event = makeEvent(42, 'job', 'ts', 'job_created', null, 'queued', 'm', {});
    const json = JSON.stringify(event);
    expect(eventFrame(event)).toEqual({ id: 42, data: json });
    expect(formatFrame(eventFrame(event))).toBe(`id: 42\ndata: ${json}\n\n`);
  });

  it('writes stream-only frames without an id line', () => {
    const text = formatFrame(heartbeatFrame());
    expect(text).toMatch(/^data: \{.*\}\n\n$/);
    expect(JSON.parse(text.slice('data: '.length))).toMatchObject({
      type: 'heartbeat',
      event_type: 'heartbeat',
      message: 'Server alive',
      stage: null,
      status: null,
    });
    expect(formatFrame(shutdownFrame())).toMatch(/^data: \{"ts":.*"type":"shutdown".*\}\n\n$/);
    const notice = { type: 'history_truncated' as const, job_id: null, oldest_id: 7, message: 'm' };
    expect(formatFrame(truncationFrame(notice))).toBe(`data: ${JSON.stringify(notice)}\n\n`);
  });

  it('starts with the retry hint and the connected frame', () => {
    const frame = connectedFrame('Connected to job j event stream', { job_id: 'j', operator: 'admin' }, 3000);
    const text = formatFrame(frame);
    expect(text.startsWith('retry: 3000\ndata: {')).toBe(true);
    expect(text).not.toMatch(/^(id|event):/m);
    expect(JSON.parse(frame.data)).toMatchObject({ type: 'connected', payload: { job_id: 'j', operator: 'admin' } });
  });

  it('orders the fields as id, retry, data and splits data on every line break', () => {
    expect(formatFrame({ id: 3, retry: 10, data: 'a\nb\r\nc\rd' })).toBe(
      'id: 3\nretry: 10\ndata: a\ndata: b\ndata: c\ndata: d\n\n',
    );
    expect(formatFrame({ data: '' })).toBe('data: \n\n');
  });
});
