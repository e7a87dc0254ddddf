// What the console draws: the job list, a job's header, its nine stage cards, artifacts and events.
import { bytes, clock, dateTime, h } from './dom.js';
import { eventIcon } from './icons.js';

/** The nine stages, in order: a job has one gate per stage, listed in stage order (docs/API.md, "Jobs"). */
const stagesOf = (job) => job.gates.map((gate) => gate.stage);
const TERMINAL = ['completed', 'failed', 'canceled'];

export const isTerminal = (job) => TERMINAL.includes(job.status);

const MODE_LABELS = {
  connecting: 'Connecting…',
  sse: 'Live · SSE',
  polling: 'Polling every 2 s',
  finished: 'Job finished · feed closed',
  closed: 'Closed',
};

export function progress(job) {
  const stages = stagesOf(job);
  const done = job.status === 'completed' ? stages.length : stages.indexOf(job.stage) + 1;
  return `${done}/${stages.length}`;
}

const badge = (status) => h('span', { class: `badge status-${status}` }, status.replace('_', ' '));

export function jobListItems(jobs, selectedId, onSelect) {
  if (jobs.length === 0) return [h('li', { class: 'empty' }, 'No jobs here yet.')];
  return jobs.map((job) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'job-item',
          dataset: { jobId: job.id },
          'aria-current': job.id === selectedId ? 'true' : undefined,
          onclick: () => onSelect(job.id),
        },
        h('span', { class: 'job-slug' }, job.slug),
        badge(job.status),
        h('span', { class: 'job-meta' }, `stage ${progress(job)} · ${job.stage} · ${dateTime(job.created_at)}`),
      ),
    ),
  );
}

export function jobHeader(job, { onResume, onCancel }) {
  return h(
    'div',
    { class: 'card job-head' },
    h('div', { class: 'card-head' }, h('h2', {}, job.slug), badge(job.status)),
    h('p', { class: 'intent' }, job.intent),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Stage'),
      h('dd', {}, `${progress(job)} · ${job.stage}`),
      h('dt', {}, 'Job id'),
      h('dd', { class: 'mono' }, job.id),
      h('dt', {}, 'Created'),
      h('dd', {}, `${dateTime(job.created_at)} by ${job.operator}`),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', disabled: job.status !== 'paused', onclick: onResume }, 'Resume'),
      h('button', { type: 'button', class: 'danger', disabled: isTerminal(job), onclick: onCancel }, 'Cancel job'),
    ),
  );
}

/** Each stage's state, read from the job: before its stage done, at it per the job's status, after it pending. */
export function stageState(job, index) {
  const current = stagesOf(job).indexOf(job.stage);
  if (job.status === 'completed' || index < current) return 'completed';
  if (index > current) return 'pending';
  return { queued: 'pending', needs_approval: 'awaiting', paused: 'paused' }[job.status] ?? job.status;
}

const STATE_LABELS = {
  completed: 'Completed',
  pending: 'Pending',
  running: 'Running',
  awaiting: 'Awaiting approval',
  paused: 'Rejected · paused',
  failed: 'Failed',
  canceled: 'Canceled',
};

function gateText(gate) {
  if (!gate.required) return gate.approved ? `Approved in advance by ${gate.by}` : 'No gate';
  if (gate.approved === null) {
    return gate.timeout_seconds ? `Gate · auto-approves after ${gate.timeout_seconds} s` : 'Gate · waits for a person';
  }
  if (gate.auto_approved) return 'Auto-approved';
  return `${gate.approved ? 'Approved' : 'Rejected'} by ${gate.by}${gate.at ? ` at ${clock(gate.at)}` : ''}`;
}

/** The approve/reject form of the gate a job waits at: notes and an optional JSON patch. */
function decisionForm(stage, onDecide) {
  const notes = h('textarea', { name: 'notes', rows: 2, 'aria-label': `Notes for ${stage}`, placeholder: 'Notes' });
  const patch = h('textarea', {
    name: 'patch',
    rows: 2,
    class: 'mono',
    'aria-label': `JSON patch for ${stage}`,
    placeholder: 'Optional JSON patch, e.g. {"type": "text_replace", "replacements": [{"old": "a", "new": "b"}]}',
  });
  const decide = (action) => () => onDecide(stage, action, notes.value, patch.value);
  return h(
    'div',
    { class: 'decision' },
    notes,
    patch,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: decide('approve') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', onclick: decide('reject') }, 'Reject'),
    ),
  );
}

export function stageCards(job, onDecide) {
  return job.gates.map((gate, index) => {
    const stage = gate.stage;
    const state = stageState(job, index);
    return h(
      'article',
      { class: `stage-card state-${state}`, dataset: { stage, state } },
      h('header', {}, h('span', { class: 'stage-index' }, `${index + 1}/${job.gates.length}`), h('h3', {}, stage)),
      h('p', { class: 'stage-state' }, STATE_LABELS[state] ?? state),
      h('p', { class: 'gate' }, gateText(gate)),
      gate.notes ? h('p', { class: 'notes' }, `“${gate.notes}”`) : null,
      state === 'awaiting' ? decisionForm(stage, onDecide) : null,
    );
  });
}

export function artifactItems(job, onDownload) {
  if (job.artifacts.length === 0) return [h('li', { class: 'empty' }, 'No artifacts yet.')];
  return job.artifacts.map((artifact) =>
    h(
      'li',
      {},
      h(
        'a',
        {
          href: '#',
          class: 'artifact',
          dataset: { path: artifact.path },
          onclick: (event) => {
            event.preventDefault();
            onDownload(artifact.path);
          },
        },
        artifact.path,
      ),
      h('span', { class: 'job-meta' }, ` ${artifact.stage} · ${artifact.kind} · ${bytes(artifact.size_bytes)}`),
    ),
  );
}

export function eventRow(event) {
  return h(
    'li',
    { class: `event type-${event.type}`, dataset: { id: event.id, type: event.type } },
    h('time', { datetime: event.ts }, clock(event.ts)),
    h('span', { class: 'icon', 'aria-hidden': 'true' }, eventIcon(event.type)),
    h('span', { class: 'type' }, event.type),
    h('span', { class: 'where' }, event.stage ?? ''),
    h('span', { class: 'message' }, event.message),
  );
}

export function modeIndicator(element, mode) {
  element.dataset.mode = mode;
  element.textContent = MODE_LABELS[mode] ?? mode;
}
