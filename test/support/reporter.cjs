// Mocha's spec reporter, plus one plain closing line "N passed, N failed, N skipped" that any
// CI reader understands. Registered after Spec's own listener, so it prints after the epilogue.
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class OctetReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      console.log(`${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped`);
    });
  }
}
module.exports = OctetReporter;
