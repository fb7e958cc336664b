import type { z } from 'zod';
import { applicationEventSchemas } from './applications';
import { disbursementEventSchemas } from './disbursements';
import { grantEventSchemas } from './grants';
import { milestoneEventSchemas } from './milestones';
import { ContractRegistry } from './registry';
import { payoutEventSchemas } from './settlements';

const allSchemas: Record<string, { schemaVersion: number; data: z.ZodTypeAny }>[] = [
  applicationEventSchemas,
  grantEventSchemas,
  milestoneEventSchemas,
  disbursementEventSchemas,
  payoutEventSchemas,
];

/**
 * Every published integration contract, for producers (validate before publishing) and consumers
 * (parse on receipt). New topics add their schema maps here.
 */
export function integrationContracts(): ContractRegistry {
  const registry = new ContractRegistry();
  for (const schemas of allSchemas) {
    for (const [type, contract] of Object.entries(schemas)) {
      registry.register(type, contract.schemaVersion, contract.data);
    }
  }
  return registry;
}
