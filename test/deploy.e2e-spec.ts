import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir } from './helpers/app';
import { ROOT, startTarget } from './helpers/server-process';

const UNIT = join(ROOT, 'deploy', 'jobevents.service');
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
if (!SYSTEMD_ANALYZE) {
  process.stderr.write(
    '\n⚠ systemd-analyze not found: deploy/jobevents.service is checked without `systemd-analyze verify`\n',
  );
}

describe('deploy/jobevents.service', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const setting = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];

  it('runs what `npm run start:prod` runs, from the release dir, with the SIGTERM contract', () => {
    expect(setting('ExecStart')).toBe(`/usr/bin/node /opt/jobevents/${startTarget('start:prod')}`);
    expect(setting('WorkingDirectory')).toBe('/var/lib/jobevents');
    expect(setting('KillSignal')).toBe('SIGTERM');
    expect(setting('Restart')).toBe('on-failure');
    expect(Number(setting('TimeoutStopSec'))).toBeGreaterThan(5); // main.ts exits within 5 s of SIGTERM
    expect(setting('EnvironmentFile')).toBe('/etc/jobevents/env'); // the token, never in the unit
    expect(unit).not.toMatch(/^Environment=.*TOKEN/m);
  });

  (SYSTEMD_ANALYZE ? it : it.skip)('passes `systemd-analyze verify` without a warning, pointed at this build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobevents-unit-'));
    try {
      // The unit as installed, its paths pointed at this checkout and this node.
      const path = join(dir, 'jobevents.service');
      writeFileSync(path, unit.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/jobevents', ROOT));
      const result = spawnSync(SYSTEMD_ANALYZE as string, ['verify', path], { encoding: 'utf8' });
      expect(result.stderr.trim()).toBe('');
      expect(result.status).toBe(0);
    } finally {
      removeDir(dir);
    }
  });
});

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
if (!NGINX) process.stderr.write('\n⚠ nginx not found: deploy/nginx.conf is not checked with `nginx -t`\n');

describe('deploy/nginx.conf', () => {
  const conf = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');

  it('logs paths without their query string, so ?access_token= never reaches the access log', () => {
    const format = /log_format jobevents '([^']+)'/.exec(conf)?.[1] ?? '';
    expect(format).toContain('$uri');
    expect(format).not.toMatch(/\$request\b|\$request_uri|\$args|\$query_string/);
    expect(conf).toMatch(/access_log \S+ jobevents;/);
    expect(conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });

  (NGINX ? it : it.skip)('passes `nginx -t`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobevents-nginx-'));
    try {
      const path = join(dir, 'nginx.conf');
      // As shipped, its access log moved into the temp dir (the test need not write /var/log).
      writeFileSync(path, conf.replace('/var/log/nginx/jobevents.access.log', join(dir, 'access.log')));
      const args = ['-t', '-p', dir, '-c', path, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')};`];
      const result = spawnSync(NGINX as string, args, { encoding: 'utf8' });
      expect(result.stderr).toContain('syntax is ok');
      expect(result.status).toBe(0);
    } finally {
      removeDir(dir);
    }
  });
});
