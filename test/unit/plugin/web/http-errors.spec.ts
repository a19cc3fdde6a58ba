import { expect } from 'chai';
import * as errors from '../../../../plugin/common/errors.js';
import { httpStatusOf } from '../../../../plugin/web/http-errors.js';

describe('HTTP status of each error kind', () => {
  it('maps every kind to the status the client or the operator must act on', () => {
    const cases: Array<[unknown, number]> = [
      [new errors.AuthenticationError('x'), 401],
      [new errors.ForbiddenError('x'), 403],
      [new errors.NotFoundError('x'), 404],
      [new errors.ConflictError('x'), 409],
      [new errors.ValidationError('x'), 422],
      [new errors.TooManyAttemptsError('x', 60), 429],
      [new errors.UserError('x'), 400],
      [new errors.OperationalError('x'), 503],
      [new Error('x'), 500],
    ];
    expect(cases.map(([e]) => httpStatusOf(e))).to.deep.equal(cases.map(([, s]) => s));
  });

  it('is no longer offered by plugin/common/errors.ts', () => {
    expect(errors).not.to.have.property('httpStatusOf');
  });
});
