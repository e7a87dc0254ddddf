import { makeEvent } from '../../domain/events';
import { StreamOnlyMessage, connectedFrame, eventFrame, heartbeatFrame } from './sse-frames';

describe('SSE frames', () => {
  it('gives stored events their database id', () => {
    const event = makeEvent(42, 'job', 'ts', 'job_created', null, 'queued', 'm', {});
    expect(eventFrame(event)).toEqual({ id: '42', data: JSON.stringify(event) });
  });

  it('keeps stream-only frames without an id even when Nest assigns one', () => {
    const frame = heartbeatFrame() as StreamOnlyMessage;
    (frame as { id?: string }).id = '7';
    expect(frame.id).toBeUndefined();
    expect(JSON.parse(frame.data)).toMatchObject({
      type: 'heartbeat',
      message: 'Server alive',
      stage: null,
      status: null,
    });
  });

  it('starts with the retry hint and the connected frame', () => {
    const frame = connectedFrame('Connected to job j event stream', { job_id: 'j', operator: 'admin' }, 3000);
    expect(frame.retry).toBe(3000);
    expect(frame.id).toBeUndefined();
    expect(JSON.parse(frame.data as string)).toMatchObject({
      type: 'connected',
      payload: { job_id: 'j', operator: 'admin' },
    });
  });
});
