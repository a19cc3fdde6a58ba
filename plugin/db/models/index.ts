import type { Sequelize } from 'sequelize';
import { defineFoundationModels } from './foundation.js';
import { defineSubscriberModels } from './subscribers.js';
import { defineUsageModels } from './usage.js';

/**
 * Defines every model on the given connection. Called once by each composition root; nothing
 * here connects or registers globally.
 */
export function defineModels(sequelize: Sequelize) {
  return {
    ...defineFoundationModels(sequelize),
    ...defineSubscriberModels(sequelize),
    ...defineUsageModels(sequelize),
  };
}

export type Models = ReturnType<typeof defineModels>;
