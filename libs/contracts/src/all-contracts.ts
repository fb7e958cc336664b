import { applicationEventSchemas } from './applications';
import { disbursementEventSchemas } from './disbursements';
import { grantEventSchemas } from './grants';
import { milestoneEventSchemas } from './milestones';
import { ContractRegistry, type TopicEventSchemas } from './registry';
import { payoutEventSchemas } from './settlements';

const allSchemas: TopicEventSchemas[] = [
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
  for (const schemas of allSchemas) registry.registerTopic(schemas);
  return registry;
}
