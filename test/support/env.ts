/**
 * Tests that need an outside server or binary (PostgreSQL, rsync, sshd) run when it is there.
 * Where it is missing they skip with a printed reason, unless HANDOFF_REQUIRE_ALL is set (CI),
 * in which case they fail: CI must never pass by skipping.
 */
import { describe, it } from 'vitest';

export const requireAll = process.env.HANDOFF_REQUIRE_ALL === '1' || process.env.HANDOFF_REQUIRE_ALL === 'true';

/**
 * `describe` that runs when `unavailableReason` is undefined. Otherwise it skips with a printed
 * reason, or — under HANDOFF_REQUIRE_ALL — registers one failing test that says what is missing.
 */
export function describeWith(dependency: string, unavailableReason: string | undefined, name: string, body: () => void): void {
  if (unavailableReason === undefined) {
    describe(name, body);
    return;
  }
  if (requireAll) {
    describe(name, () => {
      it(`needs ${dependency}`, () => {
        throw new Error(`${dependency} is required (HANDOFF_REQUIRE_ALL is set) but unavailable: ${unavailableReason}`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${dependency} unavailable: ${unavailableReason}`);
  describe.skipIf(true)(name, body);
}

