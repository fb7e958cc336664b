import { parseConfig, portVariable } from '@lib/platform';

export const configShape = {
  PORT: portVariable(3004),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, env);

export type DisbursementsConfig = ReturnType<typeof loadConfig>;
