/** What a decider spec needs: decide (policy already bound), evolve and the initial state. */
export interface DeciderUnderTest<Command, State, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** The error class a `thenThrows` expects (any Error subclass). */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * given(events) → when(command) → then(events) | thenThrows(ErrorClass, fields): the decider's
 * rules read as the rule. `given` folds the events with the decider's own evolve.
 *
 * @example
 * const { given } = deciderSpec({ decide: (c, s) => decide(c, s, policy), evolve, initialState });
 * given([drafted]).when(submit).then([submitted]);
 * given([]).when(submit).thenThrows(ApplicationError, { code: 'application_not_found' });
 */
export function deciderSpec<Command, State, Event>(
  decider: DeciderUnderTest<Command, State, Event>,
) {
  return {
    given(events: readonly Event[]) {
      const state = events.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            /** The events decide returns, for assertions of their own. */
            events: run,
            then(expected: Event[]): void {
              expect(run()).toEqual(expected);
            },
            /** Expects `errorClass` with `fields` (e.g. `{ code, status }`); returns the error. */
            thenThrows<E extends Error>(errorClass: ErrorClass<E>, fields: Partial<E> = {}): E {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeInstanceOf(errorClass);
              expect(caught).toMatchObject(fields);
              return caught as E;
            },
          };
        },
      };
    },
  };
}
