import { expect } from 'chai';
import { Writable } from 'node:stream';
import { redact, redactText, REDACTED } from '../../../plugin/common/redact.js';
import { createLogger } from '../../../plugin/common/logger.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

describe('log redaction', () => {
  it('replaces values of secret-named keys at any depth', () => {
    const out = redact({ user: 'ann', password: 'hunter2', nested: { radiusSecret: 's3cr3t', list: [{ token: 'abc' }] } });
    expect(out).to.deep.equal({ user: 'ann', password: REDACTED, nested: { radiusSecret: REDACTED, list: [{ token: REDACTED }] } });
  });

  it('masks the password in a database URL inside free text', () => {
    expect(redactText('connecting to mysql://octet:pa55word@db:3306/octet')).to.equal(`connecting to mysql://octet:${REDACTED}@db:3306/octet`);
  });

  it('masks bearer tokens and key=value secrets inside messages', () => {
    expect(redactText('Authorization: Bearer abc.def-123')).to.equal(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('login name=admin password=topsecret ok')).to.equal(`login name=admin password=${REDACTED} ok`);
    expect(redactText('secret: "with space"')).to.equal(`secret: ${REDACTED}`);
  });

  it('never lets a secret reach a JSON log line, in message or metadata', () => {
    const { stream, lines } = capture();
    const log = createLogger({ format: 'json', stream });
    log.info('router login password=routerpass', { router: { host: '10.0.0.1', password: 'routerpass' }, secret: 'radsecret' });
    log.child({ token: 'agenttoken' }).warn('shipping failed', { url: 'https://agent:agenttoken@plugin/api' });
    expect(lines).to.have.length(2);
    for (const line of lines) {
      expect(line).not.to.match(/routerpass|radsecret|agenttoken/);
      expect(() => JSON.parse(line)).not.to.throw();
    }
    const first = JSON.parse(lines[0]!);
    expect(first.router).to.deep.equal({ host: '10.0.0.1', password: REDACTED });
    expect(first.level).to.equal('info');
  });

  it('keeps errors readable while masking secrets in their message', () => {
    const { stream, lines } = capture();
    const log = createLogger({ format: 'json', stream });
    log.error('db failed', { err: new Error('access denied for mysql://root:pw@x/y') });
    const entry = JSON.parse(lines[0]!);
    expect(entry.err.message).to.equal(`access denied for mysql://root:${REDACTED}@x/y`);
  });
});
