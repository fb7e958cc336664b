import { type Actor, type Command } from '@lib/contracts';
import {
  type DiscrepancyData,
  evolveTreasury,
  initialTreasuryState,
  openDiscrepancies,
  type TreasuryEvent,
  type TreasuryState,
} from './treasury';
import { TreasuryError } from './treasury.errors';

export { evolveTreasury, initialTreasuryState };
export type { TreasuryEvent, TreasuryState };

export type TreasuryCommand =
  | Command<'PauseTreasury', { reason?: string }>
  | Command<'ResumeTreasury', Record<string, never>>
  | Command<'RecordDiscrepancy', DiscrepancyData>;

/** Treasurers needed to resume: two while a reconciliation discrepancy is open, else one. */
export const requiredToResume = (state: TreasuryState): number =>
  openDiscrepancies(state).length > 0 ? 2 : 1;

export function decideTreasury(command: TreasuryCommand, state: TreasuryState): TreasuryEvent[] {
  const { actor, now } = command.metadata;
  const at = now.toISOString();
  switch (command.type) {
    case 'PauseTreasury': {
      requireTreasurer(actor);
      if (state.paused) throw new TreasuryError('already_paused', 'the treasury is already paused');
      return [
        {
          type: 'TreasuryPaused',
          data: {
            pausedBy: actor.sub,
            reason: command.data.reason ?? null,
            cause: 'manual',
            pausedAt: at,
          },
        },
      ];
    }
    case 'RecordDiscrepancy': {
      if (state.discrepancies.some((d) => d.discrepancyId === command.data.discrepancyId))
        return [];
      const recorded: TreasuryEvent = {
        type: 'DiscrepancyRecorded',
        data: { ...command.data, recordedAt: at },
      };
      if (state.paused) return [recorded];
      return [
        recorded,
        {
          type: 'TreasuryPaused',
          data: {
            pausedBy: actor.sub,
            reason: `reconciliation: ${command.data.kind}`,
            cause: 'discrepancy',
            pausedAt: at,
          },
        },
      ];
    }
    case 'ResumeTreasury': {
      requireTreasurer(actor);
      if (!state.paused) throw new TreasuryError('not_paused', 'the treasury is not paused');
      if (state.resumeApprovals.includes(actor.sub)) {
        throw new TreasuryError(
          'duplicate_approval',
          'you already agreed to resume; a second, different treasurer must',
        );
      }
      const required = requiredToResume(state);
      const approvals = [...state.resumeApprovals, actor.sub];
      if (approvals.length < required) {
        return [
          {
            type: 'TreasuryResumeApproved',
            data: { approvedBy: actor.sub, approvals: approvals.length, required, approvedAt: at },
          },
        ];
      }
      return [
        {
          type: 'TreasuryResumed',
          data: {
            resumedBy: approvals,
            resolvedDiscrepancies: openDiscrepancies(state).map((d) => d.discrepancyId),
            resumedAt: at,
          },
        },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled treasury command ${JSON.stringify(unhandled)}`);
    }
  }
}

function requireTreasurer(actor: Actor): void {
  if (!actor.roles.includes('treasurer')) {
    throw new TreasuryError('treasurer_role_required', 'only a treasurer may do this');
  }
}
