/** The contact service's settings and their defaults (docs/durability.md, "Contact and uptime"). */
import { InvalidArgumentError } from '../../core/errors.js';

/** Settings of the satellite's contact (uptime) checks. */
export interface ContactConfig {
  /** Every node is dialed this often (default 5 min): a node that stops answering leaves selection within about this long. */
  readonly intervalMs: number;
  /** Contacts in flight at once during a pass (default 10); reported nodes have as many of their own. */
  readonly concurrency: number;
  /** Nodes read from the overlay per page (default 500). */
  readonly pageSize: number;
  /** One contact's deadline: dial, identity handshake and `Node.Ping` (default 10 s). */
  readonly timeoutMs: number;
  /** A node offline for longer than this is suspended with reason `offline` (default 24 h). */
  readonly suspendAfterMs: number;
  /** A node offline for longer than this is disqualified, the reason recorded (default 30 days). */
  readonly disqualifyAfterMs: number;
  /** The online score covers this long (default 30 days); older contact windows are pruned. */
  readonly onlineScoreWindowMs: number;
  /** Dial-failure reports one project may send per {@link reportWindowMs} (default 100). */
  readonly maxReportsPerProject: number;
  /** The window of {@link maxReportsPerProject} (default 1 min). */
  readonly reportWindowMs: number;
  /** A reported node is contacted again at most this often for reports (default 1 min). */
  readonly recheckGapMs: number;
  /** Projects and nodes the report limits remember at once (default 10,000): beyond, reports are refused. */
  readonly maxTrackedReporters: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Contact checks' defaults: how often, timeouts, when an absent node is suspended. */
export const DEFAULT_CONTACT_CONFIG: ContactConfig = Object.freeze({
  intervalMs: 5 * MINUTE,
  concurrency: 10,
  pageSize: 500,
  timeoutMs: 10_000,
  suspendAfterMs: DAY,
  disqualifyAfterMs: 30 * DAY,
  onlineScoreWindowMs: 30 * DAY,
  maxReportsPerProject: 100,
  reportWindowMs: MINUTE,
  recheckGapMs: MINUTE,
  maxTrackedReporters: 10_000,
});

/**
 * The defaults with `overrides`, checked (`InvalidArgumentError` naming the field).
 *
 * @example
 * ```ts
 * const config = contactConfig({ intervalMs: 60_000, suspendAfterMs: 12 * 3600_000 });
 * ```
 */
export function contactConfig(overrides: Partial<ContactConfig> = {}): ContactConfig {
  const config: ContactConfig = { ...DEFAULT_CONTACT_CONFIG, ...overrides };
  for (const [field, value] of Object.entries(config)) {
    const positive = field !== 'suspendAfterMs' && field !== 'disqualifyAfterMs';
    if (!Number.isSafeInteger(value) || value < (positive ? 1 : 0)) {
      throw new InvalidArgumentError(`"contact.${field}" expected a ${positive ? 'positive' : 'non-negative'} integer, got ${String(value)}`);
    }
  }
  if (config.disqualifyAfterMs < config.suspendAfterMs) {
    throw new InvalidArgumentError('"contact.disqualifyAfterMs" must not be shorter than "contact.suspendAfterMs"');
  }
  return config;
}
