import { expect } from 'chai';
import { SseParser } from '../../../../agent/enforcer/plugin-link.js';

describe('server-sent events from the plugin', () => {
  it('dispatches events split across chunks anywhere, skips comments, joins data lines, accepts CRLF', () => {
    const got: Array<[string, string]> = [];
    const p = new SseParser((e, d) => got.push([e, d]));
    const text = ': ping\n\nevent: desired\ndata: {"a":1}\n\nevent: desired\r\ndata: x\r\ndata: y\r\n\r\ndata: plain\n\n';
    for (const ch of text) p.push(ch);
    expect(got).to.deep.equal([
      ['desired', '{"a":1}'],
      ['desired', 'x\ny'],
      ['message', 'plain'],
    ]);
  });

  it('an event without its closing blank line is not dispatched yet', () => {
    const got: string[] = [];
    const p = new SseParser((_e, d) => got.push(d));
    p.push('event: desired\ndata: {"half":');
    expect(got).to.deep.equal([]);
    p.push('true}\n\n');
    expect(got).to.deep.equal(['{"half":true}']);
  });
});
