export { startSimulator, type Simulator, type SimulatorOptions, type Faults } from './server.js';
export { RouterModel, SimulatorError, type Rates, type Session } from './model.js';
export { simulatorConfigSchema, simulatorOptionsFrom, type SimulatorConfig } from './config.js';
