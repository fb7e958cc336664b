export {
  startNearEmulator,
  type EmulatedTokenConfig,
  type EmulatorAccount,
  type GenesisAccount,
  type NearEmulator,
  type NearEmulatorOptions,
} from './server';
export {
  FaultController,
  SEND_METHODS,
  type FaultKind,
  type FaultOptions,
  type FaultRule,
} from './faults';
export {
  NearChain,
  FUNCTION_CALL_GAS,
  SIMPLE_ACTION_GAS,
  TRANSFER_GAS,
  TX_CONVERSION_GAS,
  type AccessKeyPermission,
  type StateRecord,
  type TransactionRecord,
} from './chain';
export { TX_EXECUTION_LEVELS, type TxExecutionLevel } from './wire';
