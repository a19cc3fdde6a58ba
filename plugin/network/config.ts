import { z } from 'zod';

/** The `network` section of the plugin's config file (plugin/config.ts). */
export const networkConfigSchema = z
  .strictObject({
    /**
     * A router or NAS the agent has not heard from for longer than this (no successful poll, no
     * accounting packet), or an agent that has not reported for as long, stands out on the
     * Network page and the dashboard.
     */
    silentAfterMinutes: z.number().int().min(1).max(10_080).default(15),
  })
  .prefault({});
