/** DI tokens of the settlement service. */
export const NEAR_PROVIDER = Symbol('NEAR_PROVIDER');
export const NEAR_ASSETS = Symbol('NEAR_ASSETS');
export const TREASURY_ACCOUNT = Symbol('TREASURY_ACCOUNT');
export const PAYOUT_EVENT_STORE = Symbol('PAYOUT_EVENT_STORE');
export const SIGNER_LANES = Symbol('SIGNER_LANES');
