import { applicationEventSchemas } from './applications';
import { ContractRegistry } from './registry';

/**
 * Every published integration contract, for producers (validate before publishing) and consumers
 * (parse on receipt). New topics add their schema maps here.
 */
export function integrationContracts(): ContractRegistry {
  const registry = new ContractRegistry();
  for (const [type, contract] of Object.entries(applicationEventSchemas)) {
    registry.register(type, contract.schemaVersion, contract.data);
  }
  return registry;
}
