import { authConfigShape } from '@lib/auth';
import { nearConfigShape } from '@lib/near';
import { parseConfig, portVariable } from '@lib/platform';

export const configShape = {
  PORT: portVariable(3003),
  ...authConfigShape,
  /** Only the asset registry (decimals for API amounts) is used; milestones never calls NEAR. */
  ...nearConfigShape,
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, env);

export type MilestonesConfig = ReturnType<typeof loadConfig>;
