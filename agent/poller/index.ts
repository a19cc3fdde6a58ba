export { routerConfigSchema, routerPort, type RouterConfig, type RouterConfigInput } from './config.js';
export { createPollers, connectRouter, type Pollers, type PollersDeps, type RouterStatus } from './poller.js';
export { decidePoll, emptyState, rowKey, type PollerState, type PollInput, type PollOutcome, type SessionRow, type TrackedSession } from './decide.js';
export { collectSessions, collectInventory, parseUptime, type PollerClient } from './collect.js';
export { PollerStateStore } from './state-store.js';
