/**
 * Telling users about their transfers. The core calls {@link Notifier} when a transfer is
 * interrupted (PAUSED by an error, FAILURE, HALTED by the provider) or succeeds; the user's
 * {@link NotificationSettings} decide whether an email goes out as well.
 */
import type { NotificationKind } from '../lifecycle.js';
import type { TransferTask, UserId } from '../types.js';

/** One notification for one user about one task. */
export interface TransferNotification {
  readonly user: UserId;
  readonly kind: NotificationKind;
  /** The task as it was persisted by the change that caused the notification. */
  readonly task: TransferTask;
  /** Whether the user wants this also by email. */
  readonly email: boolean;
}

/**
 * Delivers notifications (the host's notification system). It should enqueue rather than send:
 * the core awaits it on the provider's update path.
 */
export interface Notifier {
  notify(notification: TransferNotification): Promise<void>;
}

/** Per-user choices from the notification settings page. */
export interface NotificationSettings {
  wantsEmail(user: UserId, kind: NotificationKind): Promise<boolean>;
}

/** A notifier that keeps what it is given, for tests and demos. */
export class RecordingNotifier implements Notifier {
  readonly notifications: TransferNotification[] = [];

  async notify(notification: TransferNotification): Promise<void> {
    this.notifications.push(notification);
  }
}

/** Settings held in memory; nobody gets email until they opt in. */
export class InMemoryNotificationSettings implements NotificationSettings {
  readonly #email = new Map<UserId, Set<NotificationKind>>();

  /** Opts `user` in to email for `kinds` (both kinds when none are named). */
  enableEmail(user: UserId, ...kinds: NotificationKind[]): this {
    this.#email.set(user, new Set(kinds.length > 0 ? kinds : ['interrupted', 'succeeded']));
    return this;
  }

  disableEmail(user: UserId): this {
    this.#email.delete(user);
    return this;
  }

  async wantsEmail(user: UserId, kind: NotificationKind): Promise<boolean> {
    return this.#email.get(user)?.has(kind) ?? false;
  }
}
