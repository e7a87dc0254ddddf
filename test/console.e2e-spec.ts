import { readFileSync, writeFileSync } from 'node:fs';
import { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { ConsolePage, hasChromium, launchChromium, openConsole, screenshot, signIn } from './helpers/browser';
import { NO_GATES, allEvents, decide, waitForGate, waitForStatus } from './helpers/jobs';
import { startServer } from './helpers/server-process';

const SCRIPT_GATE_ONLY = { ...NO_GATES, script: { required: true, auto_approve: false, auto_approve_after_s: null } };

describe('the console page, served by the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('serves the page at / without the token, under the same security headers', async () => {
    const page = await t.http().get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe("default-src 'self'");
    expect(page.text).toContain('<script type="module" src="/js/main.js"></script>');
    const script = await t.http().get('/js/main.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    await t
      .http()
      .get('/console.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
  });

  it('is served by the built service too, the file npm start runs (from dist/, not src/)', async () => {
    const configPath = join(t.dir, 'built.yaml');
    writeFileSync(
      configPath,
      `storage: { db_path: ${join(t.dir, 'built.db')}, runs_dir: ${join(t.dir, 'built-runs')} }\n`,
    );
    const server = await startServer(configPath, t.token, t.dir);
    try {
      const page = await fetch(`${server.baseUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Job Events console</title>');
      expect((await fetch(`${server.baseUrl}/js/feed.js`)).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it.each([
    ['/nope'],
    ['/jobs'],
    ['/js/missing.js'],
    ['/public/index.html'],
    ['/..%2fpackage.json'],
    ['/js/..%2f..%2fpackage.json'],
    ['/api/v1/nope'],
  ])('answers %s with a JSON 404, never the page', async (path) => {
    const response = await t.http().get(path).expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({ statusCode: 404, detail: expect.any(String) });
  });

  it('keeps the token off the page: nothing inline, nothing stored but in sessionStorage', () => {
    const html = readFileSync('public/index.html', 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    expect(readFileSync('public/js/api.js', 'utf8')).not.toContain('localStorage');
  });
});

// Debian's Chromium: `.ci/run` installs it; elsewhere see the README ("The console").
const describeInBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium) console.warn('Chromium not found at /usr/bin/chromium (or CHROMIUM_PATH): browser tests skipped');

describeInBrowser('the console in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let open: ConsolePage | undefined;

  beforeAll(async () => {
    [t, browser] = await Promise.all([
      bootTestApp({ gates: SCRIPT_GATE_ONLY, pipeline: { simulate: { stage_seconds: 0.05 }, max_concurrent_jobs: 4 } }),
      launchChromium(),
    ]);
  });
  afterEach(async () => {
    const problems = open?.problems ?? [];
    await open?.context.close();
    open = undefined;
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    removeDir(t.dir);
  });

  async function consoleAt(viewport?: { width: number; height: number }, operator = ''): Promise<Page> {
    open = await openConsole(browser, t.baseUrl, viewport);
    await signIn(open.page, t.token, operator);
    return open.page;
  }

  /** The ids of the event rows on the page, in order. */
  const eventIds = (page: Page): Promise<number[]> =>
    page.locator('#event-list li').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-id'))));
  const eventRow = (page: Page, type: string) => page.locator(`#event-list li[data-type="${type}"]`);

  /** What the page shows must be exactly what polling stores: every event once, in id order. */
  async function expectSameEventsAsPolling(page: Page, jobId: string): Promise<void> {
    const stored = (await allEvents(t, jobId)).map((event) => event.id);
    await waitFor(async () => (await eventIds(page)).length >= stored.length, 5000, 'the page to catch up');
    expect(await eventIds(page)).toEqual(stored);
  }

  it('asks for the token once, keeps it in sessionStorage only, and refuses a wrong one', async () => {
    open = await openConsole(browser, t.baseUrl);
    const { page } = open;
    expect(await page.locator('#login').isVisible()).toBe(true);
    await page.fill('#token', 'not-the-token');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByText('That token was refused.').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await signIn(page, t.token);
    expect(await page.evaluate("sessionStorage.getItem('jobevents.token')")).toBe(t.token);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    await page.reload();
    await page.locator('#console').waitFor({ state: 'visible' });
    expect(await page.locator('#login').isHidden()).toBe(true);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('creates a job from the form, shows its nine stages and its events live over SSE, and approves the script gate with a click', async () => {
    const page = await consoleAt(undefined, 'dana');
    expect(await page.locator('#signed-in').textContent()).toBe('Signed in as dana');
    const polls: string[] = [];
    page.on('request', (request) => {
      if (/\/events\?since=/.test(request.url())) polls.push(request.url());
    });
    await page.fill('#create-slug', 'launch-teaser');
    await page.fill('#create-intent', 'A 30-second teaser for the spring launch');
    await page.fill('#create-brief', '{"render": {"fps": 24}}');
    await page.getByRole('button', { name: 'Create job' }).click();

    const item = page.locator('.job-item', { hasText: 'launch-teaser' });
    await item.waitFor();
    const jobId = (await item.getAttribute('data-job-id'))!;
    expect((await t.http().get(`/api/v1/jobs/${jobId}`).set(t.auth).expect(200)).body.cfg.brief).toMatchObject({
      render: { fps: 24 },
    });
    await page.locator('#feed-mode[data-mode="sse"]').waitFor();
    expect(await page.locator('.stage-card').count()).toBe(9);
    await page.locator('.stage-card[data-stage="script"][data-state="awaiting"]').waitFor();
    await eventRow(page, 'gate_pause').waitFor();
    expect(await page.locator('.stage-card[data-stage="research"]').getAttribute('data-state')).toBe('completed');
    expect(await page.locator('.stage-card[data-stage="storyboard"]').getAttribute('data-state')).toBe('pending');
    await screenshot(page, 'console-gate.png');

    const pollsBeforeApproval = polls.length;
    const card = page.locator('.stage-card[data-stage="script"]');
    await card.getByLabel('Notes for script').fill('tight and on brief');
    await card.getByRole('button', { name: 'Approve' }).click();

    // Everything after the click arrives over the open stream, not by polling.
    await eventRow(page, 'gate_approved').waitFor();
    await eventRow(page, 'job_completed').waitFor();
    await page.locator('#feed-mode[data-mode="finished"]').waitFor();
    expect(polls.length).toBe(pollsBeforeApproval);
    await expectSameEventsAsPolling(page, jobId);
    await page.locator('.job-head .badge', { hasText: 'completed' }).waitFor();
    expect(await page.locator('.stage-card[data-state="completed"]').count()).toBe(9);

    const job = (await t.http().get(`/api/v1/jobs/${jobId}`).set(t.auth).expect(200)).body;
    expect(job.operator).toBe('dana');
    expect(job.gates.find((g: any) => g.stage === 'script')).toMatchObject({
      approved: true,
      by: 'dana',
      notes: 'tight and on brief',
    });
  });

  it('falls back to polling every 2 s when the stream route is blocked, and still gets every event', async () => {
    const page = await consoleAt();
    await page.route('**/events/stream**', (route) => route.abort());
    const job = await t.createJob({ slug: 'behind-a-proxy' });
    await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
    await page.locator('#feed-mode[data-mode="polling"]').waitFor();
    expect(await page.locator('#feed-mode').textContent()).toBe('Polling every 2 s');

    await waitForGate(t, job.id, 'script');
    await eventRow(page, 'gate_pause').waitFor({ timeout: 5000 });
    await decide(t, job.id, 'approve', { stage: 'script', notes: 'from the API' });
    await eventRow(page, 'job_completed').waitFor({ timeout: 5000 });
    await expectSameEventsAsPolling(page, job.id);
    expect(await page.locator('.stage-card[data-stage="script"] .notes').textContent()).toBe('“from the API”');
  });

  it('polls when the live stream is cut, goes back to SSE, and shows every event once', async () => {
    const streamSockets: Socket[] = [];
    const server = t.app.getHttpServer() as Server;
    const onRequest = (request: IncomingMessage) => {
      if (request.url?.includes('/events/stream')) streamSockets.push(request.socket);
    };
    server.on('request', onRequest);
    try {
      const page = await consoleAt();
      const job = await t.createJob({ slug: 'cut-stream' });
      await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
      await page.locator('#feed-mode[data-mode="sse"]').waitFor();
      await eventRow(page, 'gate_pause').waitFor();

      for (const socket of streamSockets.splice(0)) socket.destroy();
      await page.locator('#feed-mode[data-mode="polling"]').waitFor();
      const patch = { type: 'text_replace', replacements: [{ old: 'Scene 2', new: 'Scene two' }] };
      await t.http().post(`/api/v1/jobs/${job.id}/patches/script/apply`).set(t.auth).send(patch).expect(200);
      await eventRow(page, 'patch_applied_direct').waitFor();

      await page.locator('#feed-mode[data-mode="sse"]').waitFor({ timeout: 5000 });
      await decide(t, job.id, 'approve', { stage: 'script' });
      await eventRow(page, 'job_completed').waitFor();
      await expectSameEventsAsPolling(page, job.id);
    } finally {
      server.off('request', onRequest);
    }
  });

  it('rejects with a JSON patch, refuses a malformed one without calling the API, and resumes', async () => {
    const page = await consoleAt();
    const job = await t.createJob({ slug: 'needs-a-fix' });
    await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
    const card = page.locator('.stage-card[data-stage="script"][data-state="awaiting"]');
    await card.waitFor();

    const decisions: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') decisions.push(new URL(request.url()).pathname);
    });
    await card.getByLabel('JSON patch for script').fill('{"type": "text_replace", ');
    await card.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(/The patch is not valid JSON/).waitFor();
    expect(decisions).toEqual([]);

    const patch = {
      type: 'text_replace',
      replacements: [{ old: 'Thanks for watching.', new: 'See you at the launch.' }],
    };
    await card.getByLabel('Notes for script').fill('rename the heading');
    await card.getByLabel('JSON patch for script').fill(JSON.stringify(patch));
    await card.getByRole('button', { name: 'Reject' }).click();
    await page.locator('.stage-card[data-stage="script"][data-state="paused"]').waitFor();
    await eventRow(page, 'gate_rejected').waitFor();
    expect(decisions).toEqual([`/api/v1/jobs/${job.id}/reject`]);

    await page.getByRole('button', { name: 'Resume' }).click();
    await eventRow(page, 'patch_applied').waitFor();
    await eventRow(page, 'job_completed').waitFor();
    await waitForStatus(t, job.id, ['completed']);
    const script = await t.http().get(`/api/v1/jobs/${job.id}/artifacts/file?path=artifacts/script.md`).set(t.auth);
    expect(script.text).toContain('See you at the launch.');
  });

  it('downloads an artifact through the API with the token', async () => {
    const page = await consoleAt();
    const job = await t.createJob({ slug: 'with-artifacts' });
    await waitForGate(t, job.id, 'script');
    await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
    const link = page.locator('a.artifact[data-path="artifacts/script.md"]');
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('script.md');
    const saved = readFileSync((await download.path())!, 'utf8');
    const served = await t.http().get(`/api/v1/jobs/${job.id}/artifacts/file?path=artifacts/script.md`).set(t.auth);
    expect(saved).toBe(served.text);
  });

  it('cancels a job only after the operator confirms', async () => {
    const page = await consoleAt();
    const job = await t.createJob({ slug: 'to-cancel' });
    await waitForGate(t, job.id, 'script');
    await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
    const cancel = page.getByRole('button', { name: 'Cancel job' });
    await cancel.waitFor();

    page.once('dialog', (dialog) => void dialog.dismiss());
    await cancel.click();
    expect((await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth)).body.status).toBe('needs_approval');

    page.once('dialog', (dialog) => void dialog.accept());
    await cancel.click();
    await eventRow(page, 'job_canceled').waitFor();
    await waitForStatus(t, job.id, ['canceled']);
    await page.locator('.stage-card[data-stage="script"][data-state="canceled"]').waitFor();
    expect(await cancel.isDisabled()).toBe(true);
  });

  it.each([
    ['a desktop', { width: 1280, height: 900 }],
    ['a phone', { width: 375, height: 740 }],
  ])(
    'on %s, draws every event icon as SVG (no emoji) and shows messages without covering a control',
    async (_, viewport) => {
      const page = await consoleAt(viewport);
      const job = await t.createJob({ slug: `icons-${viewport.width}` });
      await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
      const card = page.locator('.stage-card[data-stage="script"][data-state="awaiting"]');
      await card.waitFor();
      await eventRow(page, 'gate_pause').waitFor();

      // Each row's icon is an inline SVG with a path; no text on the page needs an emoji font.
      const icons = await page.locator('#event-list li .icon').evaluateAll((spans) =>
        spans.map((span) => {
          const box = span.querySelector('svg path')?.getBoundingClientRect();
          return Boolean(box && box.width > 0 && box.height > 0) && span.textContent === '';
        }),
      );
      expect(icons.length).toBeGreaterThan(5);
      expect(icons.every(Boolean)).toBe(true);
      expect(await page.evaluate<boolean>('/\\p{Extended_Pictographic}/u.test(document.body.innerText)')).toBe(false);

      // An error at the bottom of the page (a malformed patch, refused before any request), then a success.
      await card.getByLabel('JSON patch for script').fill('{"type": ');
      const reject = card.getByRole('button', { name: 'Reject' });
      await reject.scrollIntoViewIfNeeded();
      const top = async () => (await reject.boundingBox())!.y + (await page.evaluate<number>('window.scrollY'));
      const before = await top();
      await reject.click();
      const message = page.locator('#flash', { hasText: 'The patch is not valid JSON' });
      await message.waitFor();
      expect(await message.evaluate((el) => el.getBoundingClientRect().top >= 0)).toBe(true);
      expect(await coveredControls(page)).toEqual([]);
      // The message took no room from the page: the button is where it was.
      expect(Math.abs((await top()) - before)).toBeLessThan(1);
      await card.getByLabel('JSON patch for script').fill('');
      await card.getByRole('button', { name: 'Approve' }).click();
      await page.locator('#flash', { hasText: /approved/i }).waitFor();
      expect(await coveredControls(page)).toEqual([]);
    },
  );

  it('renders the OpenAPI page at /docs under the CSP, from local assets, its description escaped', async () => {
    open = await openConsole(browser, t.baseUrl);
    const { page } = open;
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(t.baseUrl) && !request.url().startsWith('data:')) external.push(request.url());
    });
    const answer = await page.goto(`${t.baseUrl}/docs`);
    const csp = answer?.headers()['content-security-policy'] ?? '';
    await page.locator('.swagger-ui .info .title', { hasText: 'Job Events Service' }).waitFor();
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/jobs/{id}' }).first().waitFor();
    expect(await page.locator('.swagger-ui .info .description').innerText()).toContain('runs/<id>/events.jsonl');
    expect(external).toEqual([]);
    // Loosened on /docs only, and only for what Swagger UI needs: its styles and data: images; no script.
    expect(csp).toBe("default-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data:");
    const api = await page.request.get(`${t.baseUrl}/api/v1/jobs`, { headers: { Authorization: `Bearer ${t.token}` } });
    expect(api.headers()['content-security-policy']).toBe("default-src 'self'");
  });

  it('stays usable on a narrow screen: the job first, nothing wider than the screen, the gate one tap away', async () => {
    const page = await consoleAt({ width: 375, height: 740 });
    const job = await t.createJob({ slug: 'on-a-phone' });
    await page.goto(`${t.baseUrl}/#/jobs/${job.id}`);
    const card = page.locator('.stage-card[data-stage="script"][data-state="awaiting"]');
    await card.waitFor();
    await eventRow(page, 'gate_pause').waitFor();

    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const jobTop = await page.locator('.job-head').boundingBox();
    const listTop = await page.locator('#job-list').boundingBox();
    expect(jobTop!.y).toBeLessThan(listTop!.y);
    await screenshot(page, 'console-narrow.png');

    await card.getByRole('button', { name: 'Approve' }).click();
    await eventRow(page, 'job_completed').waitFor();
    await waitForStatus(t, job.id, ['completed']);
  });
});

/** The visible controls (and the live badge) the message box overlaps: none, at any width. */
async function coveredControls(page: Page): Promise<string[]> {
  const box = (await page.locator('#flash').boundingBox())!;
  const controls = page.locator('button, a, input, textarea, select, #feed-mode, .badge');
  return controls.evaluateAll(
    (elements, flash) =>
      elements.flatMap((control) => {
        const rect = control.getBoundingClientRect();
        const visible = rect.width > 0 && rect.height > 0;
        const overlaps =
          rect.left < flash.x + flash.width &&
          rect.right > flash.x &&
          rect.top < flash.y + flash.height &&
          rect.bottom > flash.y;
        return visible && overlaps ? [control.outerHTML.slice(0, 80)] : [];
      }),
    box,
  );
}
