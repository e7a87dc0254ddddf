import { redactUrl, urlPasswords } from './urls';

describe('redactUrl', () => {
  it('replaces the password and keeps everything else', () => {
    expect(redactUrl('postgres://jobevents:s3cret@db.internal:5432/jobevents?sslmode=require')).toBe(
      'postgres://jobevents:***@db.internal:5432/jobevents?sslmode=require',
    );
    expect(redactUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });

  it('shows only the scheme of a string that is no URL (a password could be anywhere in it)', () => {
    expect(redactUrl('postgres://user:pa ss@')).toBe('postgres://***');
    expect(redactUrl('garbage with secret')).toBe('***');
  });
});

describe('urlPasswords', () => {
  it('lists each password as written and decoded, for the log redaction', () => {
    expect(urlPasswords('postgres://u:p%40ss@h/x', 'nats://h:4222', 'not a url')).toEqual(['p%40ss', 'p@ss']);
  });
});
