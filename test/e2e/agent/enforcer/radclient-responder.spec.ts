import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { CODE, DynAuthResponder, ERROR_CAUSE } from '../../../support/enforcer/dynauth-responder.js';

const RADCLIENT = '/usr/bin/radclient';

function radclient(port: number, kind: 'disconnect' | 'coa', secret: string, attributes: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(RADCLIENT, ['-x', '-t', '1', '-r', '1', `127.0.0.1:${port}`, kind, secret], { timeout: 30_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
    child.stdin!.end(attributes.join('\n') + '\n');
  });
}

/**
 * The RFC 5176 responder the enforcer's RADIUS specs use, checked against FreeRADIUS's radclient:
 * it accepts radclient's signed Disconnect/CoA requests, and radclient accepts its signed ACKs
 * and NAKs. So the enforcer passing that responder means it speaks what FreeRADIUS speaks.
 */
describe('the RFC 5176 test responder agrees with FreeRADIUS radclient', function () {
  this.timeout(30_000);
  let nas: DynAuthResponder;
  beforeEach(async () => {
    nas = new DynAuthResponder('testing123');
    await nas.start();
  });
  afterEach(() => nas.stop());

  it('takes radclient Disconnect and CoA requests with a Message-Authenticator, and radclient takes its ACK and NAK', async () => {
    nas.decide = (r) => (r.userName === 'bob' ? { ack: false, errorCause: ERROR_CAUSE.SessionContextNotFound } : { ack: true });
    const ack = await radclient(nas.port, 'disconnect', 'testing123', ['User-Name = "alice"', 'Acct-Session-Id = "81A00002"', 'Message-Authenticator = 0x00']);
    expect(ack).to.match(/Received Disconnect-ACK/);
    const nak = await radclient(nas.port, 'disconnect', 'testing123', ['User-Name = "bob"', 'Message-Authenticator = 0x00']);
    expect(nak).to.match(/Received Disconnect-NAK/).and.match(/Error-Cause = Session-Context-Not-Found/);
    const coa = await radclient(nas.port, 'coa', 'testing123', ['User-Name = "alice"', 'Message-Authenticator = 0x00']);
    expect(coa).to.match(/Received CoA-ACK/);
    expect(nas.dropped).to.deep.equal([]);
    expect(nas.received.map((r) => [r.code, r.userName, r.sessionId])).to.deep.equal([
      [CODE.DisconnectRequest, 'alice', '81A00002'],
      [CODE.DisconnectRequest, 'bob', null],
      [CODE.CoaRequest, 'alice', null],
    ]);
  });

  it('drops a request signed with another secret, and one without a Message-Authenticator', async () => {
    const wrong = await radclient(nas.port, 'disconnect', 'other-secret', ['User-Name = "alice"', 'Message-Authenticator = 0x00']);
    expect(wrong).to.not.match(/Received/);
    const bare = await radclient(nas.port, 'disconnect', 'testing123', ['User-Name = "alice"']);
    expect(bare).to.not.match(/Received/);
    expect(nas.dropped).to.include('request authenticator');
    expect(nas.dropped).to.include('no Message-Authenticator');
    expect(nas.received).to.deep.equal([]);
  });
});
