// The console: sign in, list and create jobs, follow one job live, decide its gates.
import { Api, ApiError, session } from './api.js';
import { $, h } from './dom.js';
import { EventFeed } from './feed.js';
import {
  artifactItems,
  eventRow,
  isTerminal,
  jobHeader,
  jobListItems,
  modeIndicator,
  progress,
  stageCards,
} from './views.js';

// Within the default rate limit (60 requests a minute) even while the event feed polls every 2 s.
const LIST_REFRESH_MS = 15000;
const MAX_EVENT_ROWS = 5000;

const state = {
  api: null,
  selectedId: null,
  job: null,
  feed: null,
  listTimer: null,
  refreshTimer: null,
  jobSignature: '',
};

// ---- sign-in ------------------------------------------------------------------------------------

function showLogin(message = '') {
  stopConsole();
  $('#console').hidden = true;
  $('#logout').hidden = true;
  $('#signed-in').textContent = '';
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  $('#token').focus();
}

async function signIn(token, operator) {
  const api = new Api(token, operator, () => {
    session.clear();
    showLogin('The service refused the token. Sign in again.');
  });
  try {
    await api.listJobs('', 1);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showLogin('That token was refused.');
    return showLogin(error.message);
  }
  session.save(token, operator);
  state.api = api;
  $('#signed-in').textContent = `Signed in as ${operator || 'admin'}`;
  $('#login').hidden = true;
  $('#console').hidden = false;
  $('#logout').hidden = false;
  await refreshList();
  state.listTimer = setInterval(refreshList, LIST_REFRESH_MS);
  await selectFromLocation();
}

function stopConsole() {
  clearInterval(state.listTimer);
  clearTimeout(state.refreshTimer);
  state.feed?.stop();
  Object.assign(state, { api: null, selectedId: null, job: null, feed: null, listTimer: null, jobSignature: '' });
}

// ---- messages -----------------------------------------------------------------------------------

let flashTimer;
function flash(text, kind = 'info') {
  const element = $('#flash');
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
  // An error must be read: brought into view if the page is scrolled away from it (a success shows in place).
  if (kind === 'error') element.scrollIntoView({ block: 'nearest' });
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (element.hidden = true), kind === 'error' ? 8000 : 4000);
}

/** Runs an API call from a button; any failure becomes a readable message, never an uncaught error. */
async function attempt(what, fn) {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) flash(`${what}: ${error.message}`, 'error');
    return undefined;
  }
}

// ---- the job list -------------------------------------------------------------------------------

async function refreshList() {
  if (!state.api) return;
  const jobs = await attempt('Could not list jobs', () => state.api.listJobs($('#status-filter').value));
  if (!jobs) return;
  const open = (id) => (location.hash = `#/jobs/${id}`);
  $('#job-list').replaceChildren(...jobListItems(jobs, state.selectedId, open));
}

function readJson(text, what) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON (${error.message})`);
  }
}

async function createJob(event) {
  event.preventDefault();
  const form = event.target;
  let brief;
  try {
    brief = readJson(form.brief.value, 'The brief');
  } catch (error) {
    return flash(error.message, 'error');
  }
  const body = { slug: form.slug.value.trim(), intent: form.intent.value.trim(), brief };
  const job = await attempt('Could not create the job', () => state.api.createJob(body));
  if (!job) return;
  form.reset();
  flash(`Created ${job.slug}`);
  location.hash = `#/jobs/${job.id}`;
  await refreshList();
}

// ---- one job ------------------------------------------------------------------------------------

async function selectFromLocation() {
  const match = /^#\/jobs\/([0-9a-f-]{36})$/i.exec(location.hash);
  await selectJob(match ? match[1].toLowerCase() : null);
}

async function selectJob(id) {
  if (!state.api || id === state.selectedId) return;
  state.feed?.stop();
  Object.assign(state, { selectedId: id, job: null, feed: null, jobSignature: '' });
  for (const item of document.querySelectorAll('.job-item')) {
    if (item.dataset.jobId === id) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
  const view = $('#job-view');
  $('#console').classList.toggle('has-job', Boolean(id));
  if (!id) return view.replaceChildren(h('p', { class: 'empty' }, 'Select a job, or create one.'));
  view.replaceChildren(...jobSkeleton());
  const job = await attempt('Could not load the job', () => state.api.job(id));
  if (state.selectedId !== id) return;
  if (!job) return view.replaceChildren(h('p', { class: 'empty' }, 'This job could not be loaded.'));
  drawJob(job);
  state.feed = new EventFeed(state.api, id, {
    onEvents: (events) => showEvents(id, events),
    onMode: (mode) => modeIndicator($('#feed-mode'), mode),
    onNotice: (text) => flash(text, 'error'),
  });
  await state.feed.start();
}

function jobSkeleton() {
  const mode = h('span', { id: 'feed-mode', class: 'feed-mode', role: 'status' });
  modeIndicator(mode, 'connecting');
  const showLogs = h('input', { type: 'checkbox', id: 'show-logs', checked: true });
  showLogs.addEventListener('change', () => $('#event-list').classList.toggle('hide-logs', !showLogs.checked));
  return [
    h('a', { href: '#/', class: 'back' }, '← All jobs'),
    h('div', { id: 'job-head' }),
    h('section', { class: 'stages', id: 'stages', 'aria-label': 'Stages' }),
    h('section', { class: 'card' }, h('h3', {}, 'Artifacts'), h('ul', { id: 'artifacts', class: 'artifacts' })),
    h(
      'section',
      { class: 'card events' },
      h('div', { class: 'card-head' }, h('h3', {}, 'Events'), mode, h('label', { class: 'toggle' }, showLogs, ' logs')),
      h('ol', { id: 'event-list', class: 'event-list' }),
    ),
  ];
}

/** Redraws the job, but leaves the stage cards (and a half-typed note) alone when nothing in them changed. */
function drawJob(job) {
  state.job = job;
  document.title = `${job.slug} · ${job.status} · stage ${progress(job)}`;
  $('#job-head').replaceChildren(jobHeader(job, { onResume: () => act('resume'), onCancel: cancelJob }));
  const signature = JSON.stringify([job.status, job.stage, job.gates]);
  if (signature !== state.jobSignature) {
    state.jobSignature = signature;
    $('#stages').replaceChildren(...stageCards(job, decide));
  }
  $('#artifacts').replaceChildren(...artifactItems(job, download));
}

function showEvents(jobId, events) {
  if (jobId !== state.selectedId) return;
  const list = $('#event-list');
  const isAtBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.append(...events.map(eventRow));
  while (list.childElementCount > MAX_EVENT_ROWS) list.firstElementChild.remove();
  if (isAtBottom) list.scrollTop = list.scrollHeight;
  if (events.some((event) => event.type !== 'stage_log')) scheduleJobRefresh();
}

/** Many events arrive together: one refetch of the job for the lot. */
function scheduleJobRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refreshJob, 250);
}

async function refreshJob() {
  const id = state.selectedId;
  if (!id) return;
  const before = state.job;
  const job = await attempt('Could not refresh the job', () => state.api.job(id));
  if (!job || id !== state.selectedId) return;
  drawJob(job);
  if (before?.status !== job.status || before?.stage !== job.stage) await refreshList();
}

async function act(action, body = {}) {
  const id = state.selectedId;
  const result = await attempt(`Could not ${action}`, () => state.api.act(id, action, body));
  if (result) flash(result.message);
  await refreshJob();
  return result;
}

async function cancelJob() {
  if (!state.job || isTerminal(state.job)) return;
  if (!window.confirm(`Cancel ${state.job.slug}? The running stage is stopped and the job cannot go on.`)) return;
  await act('cancel');
}

async function decide(stage, action, notes, patchText) {
  let patch;
  try {
    patch = readJson(patchText, 'The patch');
  } catch (error) {
    return flash(error.message, 'error');
  }
  const body = { stage, notes: notes.trim() || undefined, patch };
  await act(action, body);
}

async function download(path) {
  const id = state.selectedId;
  const blob = await attempt(`Could not download ${path}`, () => state.api.artifact(id, path));
  if (!blob) return;
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: path.split('/').pop() });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- wiring -------------------------------------------------------------------------------------

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($('#token').value.trim(), $('#operator').value.trim());
});
$('#logout').addEventListener('click', () => {
  session.clear();
  showLogin();
});
$('#create-form').addEventListener('submit', (event) => void createJob(event));
$('#status-filter').addEventListener('change', () => void refreshList());
window.addEventListener('hashchange', () => void selectFromLocation());

const saved = session.token();
if (saved) void signIn(saved, session.operator());
else showLogin();
